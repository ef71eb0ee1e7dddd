"""The API served as in production, by gunicorn with 2 worker processes: concurrent writers
(audit chain, transparency records, tokens) from several processes never fail a request, and
the lookups' grouped records are all written by the time the workers exit."""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from portal.database import db
from registry.audit import verify_chain
from registry.models import AuditEvent
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.gunicorn_server import Gunicorn
from tests.portal.api.test_lookup import FREE, OPPOSED, file


def test_two_gunicorn_workers_answer_concurrent_lookups_and_keep_the_audit_chain_whole(
        api_app, database_url, tmp_path, live):
    file(database_url, OPPOSED)
    credentials = live.create_warehouse("EDS concurrent")
    env = {**os.environ, "REGISTRE_DATABASE_URL": database_url, "REGISTRE_INSTANCE_PATH": str(tmp_path / "gunicorn"),
           "REGISTRE_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "REGISTRE_OPRF_KEY": TEST_OPRF_KEY,
           "REGISTRE_API_RATE_LIMIT": "100000 per minute"}
    with Gunicorn(env) as server:
        base = server.url

        def calls(_):
            with requests.Session() as session:
                token = session.post(base + "/api/v1/token", data={"grant_type": "client_credentials"}, timeout=60,
                                     auth=(credentials["client_id"], credentials["client_secret"]))
                headers = {"Authorization": "Bearer " + token.json()["access_token"]}
                return [token.status_code] + [
                    session.post(base + "/api/v1/lookup", headers=headers, timeout=60,
                                 json={"purpose": "research", "identifiers": [OPPOSED, FREE][i % 2:]}).status_code
                    for i in range(10)]

        with ThreadPoolExecutor(8) as pool:
            statuses = [s for batch in pool.map(calls, range(8)) for s in batch]
        server.stop()
        assert statuses == [200] * 88, server.errors()[-2000:]
    with api_app.app_context():
        report = verify_chain(db.session())
        lookups = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup")).all()
    assert report.ok and sum(json.loads(e.details)["calls"] for e in lookups) == 80
    assert sum(json.loads(e.details)["identifiers"] for e in lookups) == 120
