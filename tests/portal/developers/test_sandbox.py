"""The sandbox (``REGISTRE_SANDBOX``): made-up numbers only, a real number refuses the whole
request before anything is kept; no public transparency log; keys of its own when run as
production, and production refusing sandbox keys; production refusing made-up numbers."""

from __future__ import annotations

import pytest
import requests

from portal.config import ConfigurationError
from portal.developers.examples import NOT_OPPOSED, OPPOSED
from tests.conftest import production_config
from tests.portal.api.conftest import LiveServer, api_app, auth, live, make_api_app, warehouse  # noqa: F401  (shared fixtures)
from tests.portal.api.test_lookup import FREE as REAL_NUMBER

pytestmark = pytest.mark.db


@pytest.fixture
def sandbox(database_url, tmp_path):
    from portal.database import db

    app = make_api_app(database_url, tmp_path, SANDBOX="true")
    with LiveServer(app) as server:
        assert app.test_cli_runner().invoke(args=["registry", "seed-sandbox"]).exit_code == 0
        yield server
    db.dispose(app)


@pytest.fixture
def headers(sandbox) -> dict:
    return {"Authorization": "Bearer " + sandbox.token(sandbox.create_warehouse("EDS d'essai"))}


def test_made_up_numbers_are_answered_in_the_sandbox(sandbox, headers):
    answer = requests.post(sandbox.url + "/api/v1/lookup", headers=headers, timeout=30,
                           json={"purpose": "research", "identifiers": [OPPOSED, NOT_OPPOSED, "123"]})
    assert answer.status_code == 200
    assert [r.get("opposed", r.get("error")) for r in answer.json()["results"]] == [True, False, "length"]


def test_a_real_number_refuses_the_whole_batch_without_quoting_it(sandbox, headers):
    answer = requests.post(sandbox.url + "/api/v1/lookup", headers=headers, timeout=30,
                           json={"purpose": "research", "identifiers": [OPPOSED, REAL_NUMBER]})
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "sandbox_real_identifier" and REAL_NUMBER not in answer.text
    assert "identifiers/1" in answer.json()["detail"]


def test_a_job_file_with_a_real_number_is_refused_and_one_without_is_taken(sandbox, headers):
    upload = {**headers, "Content-Type": "text/csv"}
    refused = requests.post(sandbox.url + "/api/v1/jobs?purpose=research", headers=upload, timeout=30,
                            data=f"nir\n{OPPOSED}\n{REAL_NUMBER}\n".encode())
    assert refused.status_code == 422 and refused.json()["code"] == "sandbox_real_identifier"
    assert "Line 3" in refused.json()["detail"]
    taken = requests.post(sandbox.url + "/api/v1/jobs?purpose=research", headers=upload, timeout=30,
                          data=f"nir\n{OPPOSED}\n{NOT_OPPOSED}\n".encode())
    assert taken.status_code == 202
    sandbox.drain_jobs()
    result = requests.get(sandbox.url + taken.json()["result"] if taken.json().get("result") else
                          sandbox.url + f"/api/v1/jobs/{taken.json()['id']}/result", headers=headers, timeout=30)
    assert result.text.splitlines() == ["line,status,reason", "2,opposed,", "3,not_opposed,"]


def test_the_sandbox_publishes_no_transparency_log(sandbox):
    answer = requests.get(sandbox.url + "/api/v1/transparency/checkpoint", timeout=30)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_outside_the_sandbox_a_real_number_is_answered_and_the_log_is_public(live, auth):
    answer = requests.post(live.url + "/api/v1/lookup", headers=auth, timeout=30,
                           json={"purpose": "research", "identifiers": [REAL_NUMBER]})
    assert answer.status_code == 200
    assert requests.get(live.url + "/api/v1/transparency/checkpoint", timeout=30).status_code == 200


def test_a_sandbox_run_as_production_needs_keys_of_its_own(tmp_path):
    from portal import create_app

    with pytest.raises(ConfigurationError, match="does not say 'sandbox'"):
        create_app(production_config(SANDBOX="true", INSTANCE_PATH=str(tmp_path)))
    sandbox_keys = {"IDENTIFIER_KEY": "sandbox-1:" + "ab" * 32, "OPRF_KEY": "sandbox-oprf-1:" + "cd" * 32,
                    "LOG_SIGNING_KEY": "sandbox-log-1:" + "ef" * 32, "CONTACT_KEY": "sandbox-contact-1:" + "12" * 32}
    app = create_app(production_config(SANDBOX="true", INSTANCE_PATH=str(tmp_path), **sandbox_keys))
    assert app.config["ALLOW_TEST_IDENTIFIERS"] is True
    with pytest.raises(ConfigurationError, match="is a sandbox key"):
        create_app(production_config(INSTANCE_PATH=str(tmp_path), **sandbox_keys))


def test_production_refuses_the_made_up_numbers(tmp_path):
    from portal import create_app

    assert create_app(production_config(INSTANCE_PATH=str(tmp_path))).config["ALLOW_TEST_IDENTIFIERS"] is False
