"""The lookups' records survive ``kill -9``: a gunicorn node holding them in memory is killed
outright (master and workers), and the node started again writes them from the journal, once.
Over real HTTP on both engines."""

import json
import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from portal.database import db
from registry.audit import verify_chain
from registry.models import AuditEvent
from registry.transparency import OppositionApplied
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.gunicorn_server import Gunicorn
from tests.portal.api.test_lookup import FREE, OPPOSED, file, wait_until

pytestmark = pytest.mark.db


def journaled_node(database_url: str, folder: Path) -> Gunicorn:
    """A gunicorn node (2 workers) whose lookups' records are held in memory: only the journal has them."""
    return Gunicorn({**os.environ, "REGISTRE_ENV_NAME": "development", "REGISTRE_DATABASE_URL": database_url,
                     "REGISTRE_INSTANCE_PATH": str(folder / "instance"),
                     "REGISTRE_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "REGISTRE_OPRF_KEY": TEST_OPRF_KEY,
                     "REGISTRE_API_RATE_LIMIT": "100000 per minute", "REGISTRE_API_RECORD_INTERVAL": "3600",
                     "REGISTRE_API_RECORD_JOURNAL": str(folder / "journal")})


def lookup_events(app):
    with app.app_context():
        events = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup")).all()
        return [json.loads(event.details) for event in events]


def applied(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(OppositionApplied))


def test_records_held_by_a_node_killed_outright_are_written_by_its_next_start(api_app, live, database_url, tmp_path):
    file(database_url, OPPOSED)
    credentials = live.create_warehouse("EDS kill -9")
    node = journaled_node(database_url, tmp_path)
    node.start()
    try:
        token = requests.post(node.url + "/api/v1/token", data={"grant_type": "client_credentials"}, timeout=60,
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
        headers = {"Authorization": "Bearer " + token}
        statuses = [requests.post(node.url + "/api/v1/lookup", headers=headers, timeout=60,
                                  json={"purpose": "research", "identifiers": [OPPOSED, FREE, "123"]}).status_code
                    for _ in range(12)]
        assert statuses == [200] * 12
        node.kill()
        assert lookup_events(api_app) == [] and applied(api_app) == 0  # nothing written before the kill
        journals = list((tmp_path / "journal").glob("*.jsonl"))
        assert journals
        kept = b"".join(path.read_bytes() for path in journals)
        assert OPPOSED.encode() not in kept and FREE.encode() not in kept  # keyed hashes and counts only

        node.start()  # its first request (the health check) starts the writer, which replays
        written = wait_until(lambda: sum(event["calls"] for event in lookup_events(api_app)) == 12)
        assert written, lookup_events(api_app)
        events = lookup_events(api_app)
        assert sum(e["identifiers"] for e in events) == 36
        assert sum(e["opposed"] for e in events) == 12 and sum(e["invalid"] for e in events) == 12
        assert applied(api_app) == 1
        assert wait_until(lambda: not list((tmp_path / "journal").glob("*.jsonl")))
    finally:
        node.close()
    assert sum(event["calls"] for event in lookup_events(api_app)) == 12  # a clean stop adds nothing
    with api_app.app_context():
        assert verify_chain(db.session()).ok


def test_production_refuses_to_run_without_the_journal(database_url, tmp_path):
    from portal import create_app
    from portal.config import ConfigurationError
    from tests.conftest import production_config

    with pytest.raises(ConfigurationError, match="REGISTRE_API_RECORD_JOURNAL"):
        create_app(production_config(DATABASE_URL=database_url, INSTANCE_PATH=str(tmp_path), API_RECORD_JOURNAL=""))
