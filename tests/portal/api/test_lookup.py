"""POST /api/v1/lookup and the public endpoints, over real HTTP against a live server."""

import json
import time

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.database import db
from registry.db import create_database_engine
from registry.identifiers import parse_identifier
from registry.models import AuditEvent
from registry.oppositions import file_opposition
from registry.purposes import Purpose
from registry.transparency import OppositionApplied
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.portal.api.conftest import LiveServer, live_server_behind, make_api_app
from tests.registry.nir_factory import make_nir, spaced

OPPOSED = make_nir(2, 85, 2, "2A", "004", 123)
AI_ONLY = make_nir(2, 90, 6, "75", "056", 78)
FREE = make_nir(1, 78, 11, "99", "350", 45)


def file(database_url, number, purposes=None):
    """File an opposition and commit it, as the citizen portal would, on its own connection."""
    from registry.hashing import IdentifierHasher
    from registry.keyring import Keyring
    from registry.keys import parse_key
    from registry.oprf import OprfEvaluator

    keys = Keyring(IdentifierHasher(parse_key(TEST_IDENTIFIER_KEY, name="t")),
                   OprfEvaluator(parse_key(TEST_OPRF_KEY, name="t")))
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            file_opposition(session, keys, parse_identifier(number), purposes)
            session.commit()
    finally:
        engine.dispose()


def lookup(live, headers, body=None, **kwargs):
    if body is not None:
        kwargs["json"] = body
    return requests.post(live.url + "/api/v1/lookup", headers=headers, timeout=30, **kwargs)


def test_answers_every_identifier_in_input_order_as_sent(live, auth, database_url):
    file(database_url, OPPOSED)
    file(database_url, AI_ONLY, [Purpose.AI])
    sent = [spaced(OPPOSED), "not a number", FREE, AI_ONLY, OPPOSED[:-2] + "00", OPPOSED.lower()]
    response = lookup(live, auth, {"purpose": "research", "identifiers": sent})
    assert response.status_code == 200
    body = response.json()
    assert body["purpose"] == "research" and body["checked_at"].endswith("Z")
    assert body["results"] == [
        {"identifier": sent[0], "opposed": True},
        {"identifier": sent[1], "error": "length"},
        {"identifier": sent[2], "opposed": False},
        {"identifier": sent[3], "opposed": False},
        {"identifier": sent[4], "error": "checksum"},
        {"identifier": sent[5], "opposed": True},
    ]


def test_an_opposition_committed_before_a_lookup_starts_is_seen_by_it(live, auth, database_url):
    body = {"purpose": "ai", "identifiers": [FREE]}
    assert lookup(live, auth, body).json()["results"] == [{"identifier": FREE, "opposed": False}]
    file(database_url, FREE)
    assert lookup(live, auth, body).json()["results"] == [{"identifier": FREE, "opposed": True}]


def test_a_match_is_recorded_for_transparency_and_every_call_is_audited_without_identifiers(
        live, auth, database_url, warehouse):
    file(database_url, OPPOSED)
    lookup(live, auth, {"purpose": "research", "identifiers": [OPPOSED, FREE, "bad"]})
    with live.app.app_context():
        session = db.session()
        applied = session.scalars(select(OppositionApplied)).all()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup")).one()
    assert [(a.purpose_bit, len(a.id_hash)) for a in applied] == [(Purpose.RESEARCH.bit, 32)]
    assert event.actor == f"warehouse:{warehouse['client_id']}"
    details = json.loads(event.details)
    assert details.pop("from") == details.pop("to")
    assert details == {"purpose": "research", "calls": 1, "identifiers": 3, "opposed": 1, "invalid": 1}
    assert OPPOSED not in event.details and FREE not in event.details


@pytest.mark.parametrize("data, content_type, status, code", [
    (b"{not json", "application/json", 400, "malformed_json"),
    (b"\xff\xfe", "application/json", 400, "malformed_json"),
    (b"[1, 2]", "application/json", 422, "invalid_request"),
    (b'{"purpose": "research"}', "application/json", 422, "invalid_request"),
    (b'{"purpose": "research", "identifiers": []}', "application/json", 422, "invalid_request"),
    (b'{"purpose": "research", "identifiers": [1]}', "application/json", 422, "invalid_request"),
    (b'{"purpose": "research", "identifiers": [null]}', "application/json", 422, "invalid_request"),
    (b'{"purpose": 3, "identifiers": ["x"]}', "application/json", 422, "invalid_request"),
    (b'{"purpose": "marketing", "identifiers": ["x"]}', "application/json", 422, "unknown_purpose"),
    (b'{"purpose": "research", "identifiers": ["x"]}', "text/plain", 415, "unsupported_media_type"),
    (b'{"purpose": "research", "identifiers": ["x"]}', None, 415, "unsupported_media_type"),
], ids=["not-json", "not-utf8", "array", "no-identifiers", "empty", "number", "null", "purpose-type",
        "unknown-purpose", "text", "no-content-type"])
def test_bad_requests_get_a_problem_with_a_stable_code(live, auth, data, content_type, status, code):
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    response = lookup(live, headers, data=data)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code and problem["status"] == status and problem["type"].endswith(code)


def test_more_than_10000_identifiers_is_413_and_10000_is_fine(live, auth):
    too_many = lookup(live, auth, {"purpose": "research", "identifiers": [FREE] * 10_001})
    assert (too_many.status_code, too_many.json()["code"]) == (413, "too_many_identifiers")
    full = lookup(live, auth, {"purpose": "research", "identifiers": [FREE] * 10_000})
    assert full.status_code == 200 and len(full.json()["results"]) == 10_000


def test_a_body_over_the_size_limit_is_413(live, auth):
    response = lookup(live, {**auth, "Content-Type": "application/json"}, data=b" " * (3 * 1024 * 1024))
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_no_token_is_401_and_a_token_without_the_scope_is_403(live, warehouse):
    missing = lookup(live, {}, {"purpose": "research", "identifiers": [FREE]})
    garbage = lookup(live, {"Authorization": "Bearer nope"}, {"purpose": "research", "identifiers": [FREE]})
    jobs_only = {"Authorization": "Bearer " + live.token(warehouse, scope="jobs")}
    scoped = lookup(live, jobs_only, {"purpose": "research", "identifiers": [FREE]})
    assert (missing.status_code, missing.json()["code"]) == (401, "missing_token")
    assert (garbage.status_code, garbage.json()["code"]) == (401, "invalid_token")
    assert (scoped.status_code, scoped.json()["code"]) == (403, "insufficient_scope")


@pytest.mark.parametrize("data", [b"{not json", b'{"purpose": "marketing", "identifiers": ["x"]}', b"[]"],
                         ids=["malformed", "unknown purpose", "not an object"])
def test_the_token_is_judged_before_the_body(live, warehouse, data):
    """A client that may not call hears that first, whatever its body holds."""
    jobs_only = "Bearer " + live.token(warehouse, scope="jobs")
    answers = [lookup(live, {"Authorization": authorization, "Content-Type": "application/json"}, data=data)
               for authorization in ("Bearer nope", jobs_only)]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "invalid_token"), (403, "insufficient_scope")]


def test_the_quota_answers_429_with_retry_after(database_url, tmp_path):
    app = make_api_app(database_url, tmp_path, API_RATE_LIMIT="2 per minute")
    with LiveServer(app) as live:
        headers = {"Authorization": "Bearer " + live.token(live.create_warehouse("EDS quota"))}
        statuses = [lookup(live, headers, {"purpose": "ai", "identifiers": [FREE]}) for _ in range(3)]
        other = {"Authorization": "Bearer " + live.token(live.create_warehouse("EDS voisin"))}
        neighbour = lookup(live, other, {"purpose": "ai", "identifiers": [FREE]})
    db.dispose(app)
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].json()["code"] == "rate_limited"
    assert int(statuses[2].headers["Retry-After"]) > 0
    assert neighbour.status_code == 200, "quotas are per warehouse"


def test_wrong_methods_and_unknown_paths_are_problems_too(live, auth):
    wrong = requests.get(live.url + "/api/v1/lookup", headers=auth, timeout=30)
    unknown = requests.get(live.url + "/api/v1/nowhere", timeout=30)
    assert (wrong.status_code, wrong.json()["code"], wrong.headers["Allow"]) == (405, "method_not_allowed", "POST")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


def test_purposes_health_and_openapi_are_public(live):
    purposes = requests.get(live.url + "/api/v1/purposes", timeout=30).json()
    assert [p["code"] for p in purposes["purposes"]] == [p.code for p in Purpose]
    assert "checksum" in [e["code"] for e in purposes["identifier_errors"]]
    assert requests.get(live.url + "/api/v1/health", timeout=30).json()["database"] == "ok"
    spec = requests.get(live.url + "/api/v1/openapi.json", timeout=30).json()
    assert spec["openapi"].startswith("3.1") and "/api/v1/lookup" in spec["paths"]


def test_health_says_503_when_the_database_does_not_answer(tmp_path):
    app = make_api_app(f"sqlite:///{tmp_path}/missing/nowhere.db", tmp_path)
    with LiveServer(app) as live:
        response = requests.get(live.url + "/api/v1/health", timeout=30)
    assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")



def test_lookup_records_are_gathered_and_written_together(database_url, tmp_path):
    app = make_api_app(database_url, tmp_path, API_RECORD_INTERVAL=3600)
    file(database_url, OPPOSED)
    with LiveServer(app) as live:
        warehouse = live.create_warehouse("EDS groupé")
        headers = {"Authorization": "Bearer " + live.token(warehouse)}
        for sent in ([OPPOSED, FREE], [spaced(OPPOSED), "bad"], [FREE]):
            assert lookup(live, headers, {"purpose": "research", "identifiers": sent}).status_code == 200
        with app.app_context():
            session = db.session()
            assert session.scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup")).all() == []
            assert session.scalars(select(OppositionApplied)).all() == []
            from portal.api.records import lookup_recorder, write_records

            write_records(lookup_recorder())
            events = session.scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup")).all()
            applied = session.scalars(select(OppositionApplied)).all()
            assert [json.loads(e.details)["calls"] for e in events] == [3]
            details = json.loads(events[0].details)
            assert (details["identifiers"], details["opposed"], details["invalid"]) == (5, 2, 1)
            assert len(applied) == 1 and applied[0].first_seen <= applied[0].last_seen
            assert OPPOSED not in events[0].details
    db.dispose(app)


class RecordsAtClose:
    """A WSGI middleware that counts the ``api.lookup`` audit events in the database when a
    lookup's answer has been sent, and again once the server closed the response."""

    def __init__(self, app):
        self.app = app
        self.counts: list[tuple[int, int]] = []
        self.engine = None

    def events(self) -> int:
        with Session(self.engine) as session:
            return len(session.scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup")).all())

    def __call__(self, environ, start_response):
        body = self.app(environ, start_response)
        return _Watched(body, self) if environ["PATH_INFO"] == "/api/v1/lookup" else body


class _Watched:
    def __init__(self, body, watcher: RecordsAtClose) -> None:
        self.body, self.watcher = body, watcher

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        sent = self.watcher.events()
        self.body.close()
        self.watcher.counts.append((sent, self.watcher.events()))


def wait_until(condition):
    """Polls ``condition`` however slow the machine (no time asserted); returns its last value."""
    for _ in range(600):
        if value := condition():
            return value
        time.sleep(0.05)
    return condition()


def test_the_lookup_that_finds_a_write_due_makes_it_once_its_answer_is_sent(database_url, tmp_path):
    file(database_url, OPPOSED)
    with live_server_behind(RecordsAtClose, database_url, tmp_path, API_RECORD_INTERVAL=0.3) as (live, watch):
        watch.engine = create_database_engine(database_url)
        headers = {"Authorization": "Bearer " + live.token(live.create_warehouse("EDS après réponse"))}
        time.sleep(0.3)  # the first period is over: this lookup finds the write due
        assert lookup(live, headers, {"purpose": "research", "identifiers": [OPPOSED]}).status_code == 200
        wait_until(lambda: watch.counts)
        watch.engine.dispose()
    assert watch.counts == [(0, 1)]  # none when the answer was sent, one once it was closed


def test_records_left_when_the_lookups_stop_are_written_by_a_background_thread(database_url, tmp_path):
    file(database_url, OPPOSED)
    with live_server_behind(RecordsAtClose, database_url, tmp_path, API_RECORD_INTERVAL=2) as (live, watch):
        watch.engine = create_database_engine(database_url)
        headers = {"Authorization": "Bearer " + live.token(live.create_warehouse("EDS fil"))}
        assert lookup(live, headers, {"purpose": "research", "identifiers": [OPPOSED]}).status_code == 200
        written = wait_until(watch.events)  # no lookup comes to write them
        with Session(watch.engine) as session:
            applied = session.scalars(select(OppositionApplied)).all()
        watch.engine.dispose()
    assert watch.counts == [(0, 0)]  # within the first period: the lookup did not write
    assert written == 1 and len(applied) == 1
