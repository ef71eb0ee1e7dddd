"""Every answer says when the registry was read and until when it may be relied on: a lookup,
a job's results, a private filter (full, delta and "unchanged"), one setting for all of them and
for the compliance board's flag."""

import datetime as dt

import pytest
import requests

from tests.portal.api.conftest import LiveServer, make_api_app
from tests.portal.api.test_jobs import cohort_file, upload
from tests.portal.api.test_lookup import OPPOSED

pytestmark = pytest.mark.db


def instant(text: str) -> dt.datetime:
    assert text.endswith("Z"), text
    return dt.datetime.fromisoformat(text[:-1] + "+00:00")


def held_for(body: dict) -> dt.timedelta:
    return instant(body["valid_until"]) - instant(body["checked_at"])


@pytest.fixture
def two_days(database_url, tmp_path):
    from portal.database import db

    app = make_api_app(database_url, tmp_path, ANSWER_VALIDITY_DAYS=2)
    with LiveServer(app) as server:
        yield server
    db.dispose(app)


def test_a_lookup_holds_for_seven_days_by_default(live, auth):
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    body = requests.post(live.url + "/api/v1/lookup", headers=auth, timeout=30,
                         json={"purpose": "research", "identifiers": [OPPOSED]}).json()
    assert instant(body["checked_at"]) >= before and held_for(body) == dt.timedelta(days=7)


def test_one_setting_sets_every_answers_validity(two_days):
    headers = {"Authorization": "Bearer " + two_days.token(two_days.create_warehouse("EDS", "--scope",
                                                                                      "lookup jobs private-lookup"))}
    lookup = requests.post(two_days.url + "/api/v1/lookup", headers=headers, timeout=30,
                           json={"purpose": "research", "identifiers": [OPPOSED]}).json()
    assert held_for(lookup) == dt.timedelta(days=2)

    job = upload(two_days, headers, cohort_file()).json()
    assert "valid_until" not in job  # nothing read yet
    two_days.drain_jobs()
    done = requests.get(two_days.url + f"/api/v1/jobs/{job['id']}", headers=headers, timeout=30).json()
    assert done["status"] == "done" and done["checked_at"] == done["started_at"]
    assert held_for(done) == dt.timedelta(days=2)

    url = two_days.url + "/api/v1/private/filter"
    full = requests.get(url, params={"purpose": "research"}, headers=headers, timeout=30)
    delta = requests.get(url, params={"purpose": "research", "since": full.json()["version"]}, headers=headers,
                         timeout=30)
    unchanged = requests.get(url, params={"purpose": "research"}, timeout=30,
                             headers={**headers, "If-None-Match": full.headers["ETag"]})
    assert held_for(full.json()) == held_for(delta.json()) == dt.timedelta(days=2)
    assert unchanged.status_code == 304
    assert instant(unchanged.headers["Registre-Valid-Until"]) - instant(unchanged.headers["Registre-Checked-At"]) \
        == dt.timedelta(days=2)


@pytest.mark.parametrize("days", [0, -1, "a week"])
def test_a_validity_that_is_not_a_positive_number_of_days_stops_the_start(database_url, tmp_path, days):
    with pytest.raises(ValueError):
        make_api_app(database_url, tmp_path, ANSWER_VALIDITY_DAYS=days)
