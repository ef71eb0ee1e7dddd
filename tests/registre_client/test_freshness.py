"""``registre-check`` writes when the registry was read and until when the result holds, in every
mode; in private mode a filter kept from an earlier run stands in for an unreachable registry only
until its ``valid_until``, never after."""

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.portal.api.conftest import live_server_behind
from tests.portal.api.test_lookup import file
from tests.registre_client.test_private_mode import OPPOSED, PEOPLE, check, give_private_warehouse, read, write_cohort

pytestmark = pytest.mark.db


class FilterOutage:
    """WSGI middleware: while ``down``, the filter endpoint answers 503 (the rest works)."""

    def __init__(self, app) -> None:
        self.app, self.down = app, False

    def __call__(self, environ, start_response):
        if self.down and environ["PATH_INFO"] == "/api/v1/private/filter":
            start_response("503 Service Unavailable", [("Content-Type", "application/problem+json")])
            return [b'{"type":"about:blank","title":"Unavailable","status":503,"code":"unavailable"}']
        return self.app(environ, start_response)


@pytest.fixture
def served(database_url, tmp_path):
    with live_server_behind(FilterOutage, database_url, tmp_path, ANSWER_VALIDITY_DAYS=3) as (server, outage):
        server.outage = outage
        give_private_warehouse(server, "EDS", "lookup jobs private-lookup")
        yield server


def summary(out) -> dict:
    return json.loads(Path(f"{out}.summary.json").read_text())


def held_for(facts: dict) -> dt.timedelta:
    return (dt.datetime.fromisoformat(facts["valid_until"].replace("Z", "+00:00"))
            - dt.datetime.fromisoformat(facts["checked_at"].replace("Z", "+00:00")))


@pytest.mark.parametrize("mode", [[], ["--job-threshold", "1"], ["--private", "--workers", "1"]])
def test_every_mode_writes_checked_at_and_valid_until(served, database_url, tmp_path, capsys, mode):
    file(database_url, OPPOSED[0])
    out = tmp_path / "out.csv"
    if mode[:1] == ["--job-threshold"]:
        import threading

        drainer = threading.Timer(1.0, served.drain_jobs)
        drainer.start()
    assert check(served, write_cohort(tmp_path / "cohort.csv"), out, *mode, "--poll", "0.2") == 0
    facts = summary(out)
    assert held_for(facts) == dt.timedelta(days=3)
    assert f"valid until {facts['valid_until']}" in capsys.readouterr().err


def test_a_kept_filter_stands_in_while_valid_and_is_refused_once_expired(served, database_url, tmp_path, capsys):
    file(database_url, OPPOSED[0])
    cohort = write_cohort(tmp_path / "cohort.csv")
    assert check(served, cohort, tmp_path / "first.csv", "--private", "--workers", "1") == 0
    first = summary(tmp_path / "first.csv")

    served.outage.down = True
    capsys.readouterr()
    assert check(served, cohort, tmp_path / "second.csv", "--private", "--workers", "1", "--retries", "1") == 0
    assert summary(tmp_path / "second.csv")["valid_until"] == first["valid_until"]
    assert summary(tmp_path / "second.csv")["filter_from_cache"] is True
    assert "kept from the last run" in capsys.readouterr().err
    assert read(tmp_path / "second.csv") == read(tmp_path / "first.csv")

    (meta,) = (tmp_path / "cache").glob("*.json")  # four days later, the kept filter has expired
    kept = json.loads(meta.read_text())
    kept["valid_until"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()
    meta.write_text(json.dumps(kept))
    assert check(served, cohort, tmp_path / "third.csv", "--private", "--workers", "1", "--retries", "1") == 2
    error = capsys.readouterr().err
    assert "expired" in error and "cannot be used any more" in error and "Traceback" not in error
    assert not (tmp_path / "third.csv").exists()
