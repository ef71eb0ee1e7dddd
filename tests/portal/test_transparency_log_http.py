"""The public transparency log over real HTTP, checked by ``registre-verify`` (the client's own
RFC 9162 and signed-note code, written apart from the server's): receipts verify offline, and a
monitor that kept a checkpoint catches an insider who, on the database, deletes the last events,
rewrites an event with every later hash, or shows two different logs of the same size."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import delete, func, select, update

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PEOPLE
from registre_client.verify_cli import main as registre_verify
from registry import log_tree
from registry.audit import leaf_bytes, record_event
from registry.checkpoints import LogCheckpoint
from registry.db import unit_of_work
from registry.log_tree import LogPendingHash, LogTile
from registry.models import AuditEvent
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.e2e.conftest import LiveServer
from tests.oidc_provider import login_with_client
from tests.registry.test_transparency_log import recompute_chain_from

pytestmark = pytest.mark.db

KARIM = DEMO_PEOPLE[1].nir


@pytest.fixture
def app(database_url, oidc_provider, tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
        "FRANCECONNECT_ISSUER": oidc_provider.url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "LOG_CHECKPOINT_INTERVAL": 0.2, "LOG_RATE_LIMIT": "100000 per minute",
    })
    yield app
    db.dispose(app)


@pytest.fixture
def served(app):
    with LiveServer(app) as server:
        yield server


def add_events(app, count: int) -> None:
    with app.app_context():
        session = db.session()
        with unit_of_work(session):
            for i in range(count):
                record_event(session, action="test.event", actor="system", details={"n": i})


def verify_audit(app):
    return app.test_cli_runner().invoke(args=["registry", "verify-audit"])


def monitor(served, state, capsys) -> tuple[int, str]:
    code = registre_verify(["monitor", served.url, "--state", str(state)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- what an insider can do to a copy of the database ------------------------------------------

def rebuild_tree_and_resign(app) -> None:
    """The tree rebuilt from the events as they now are, every checkpoint dropped and a new one signed."""
    with app.app_context():
        session = db.session()
        with unit_of_work(session):
            session.execute(delete(LogTile))
            session.execute(delete(LogPendingHash))
            session.execute(delete(LogCheckpoint))
            log_tree.build(session, [log_tree.leaf_hash(leaf_bytes(e))
                                     for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))])
    result = app.test_cli_runner().invoke(args=["registry", "sign-checkpoint"])
    assert result.exit_code == 0, result.output


# --- receipts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_citizens_receipt_proves_itself_offline(app, client, served, tmp_path, capsys, prefix):
    add_events(app, 300)  # the receipt's leaf lands past the first tile
    login_with_client(client, "demo-karim-maroc")
    answer = client.post(f"{prefix}/mon-espace/opposition", data={"nir": KARIM, "scope": "all", "confirm": "y"})
    assert answer.status_code == 303
    reference = answer.headers["Location"].rsplit("/", 1)[1]
    receipt = client.get(f"{prefix}/mon-espace/recus/{reference}.json")
    assert receipt.status_code == 200 and receipt.headers["Cache-Control"] == "no-store"
    document = receipt.get_json()
    proof = document["transparency"]
    assert proof["leaf_index"] >= 300 and proof["tree_size"] > proof["leaf_index"]  # past the first tile
    assert KARIM not in receipt.get_data(as_text=True) and "Karim" not in receipt.get_data(as_text=True)

    key = requests.get(served.url + "/api/v1/transparency/key", timeout=10).text.strip()
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(document))
    assert registre_verify([str(path), "--key", key]) == 0
    assert reference in capsys.readouterr().out

    page = client.get(f"{prefix}/mon-espace/recus/{reference}").get_data(as_text=True)
    assert f"receipt {reference}" in page and proof["checkpoint"].splitlines()[2] in page
    pdf = client.get(f"{prefix}/mon-espace/recus/{reference}.pdf").get_data()
    assert b"/EmbeddedFile" in pdf and f"recepisse-{reference}.json".encode() in pdf

    tampered = json.loads(json.dumps(document))
    tampered["transparency"]["inclusion_proof"][0] = tampered["transparency"]["inclusion_proof"][1]
    path.write_text(json.dumps(tampered))
    assert registre_verify([str(path), "--key", key]) == 1
    tampered = json.loads(json.dumps(document))
    tampered["reference"] = "RNO-AAAA-BBBB-CCCC-DDDD"
    path.write_text(json.dumps(tampered))
    assert registre_verify([str(path), "--key", key]) == 1


def test_a_receipt_another_account_asks_for_is_not_found(app, client):
    login_with_client(client, "demo-karim-maroc")
    answer = client.post("/mon-espace/opposition", data={"nir": KARIM, "scope": "all", "confirm": "y"})
    reference = answer.headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    login_with_client(other, "demo-julie-parent")
    assert other.get(f"/mon-espace/recus/{reference}.json").status_code == 404


# --- the public API ----------------------------------------------------------------------------

def test_reading_the_log_does_not_grow_it_and_bad_requests_are_problems(app, served):
    add_events(app, 10)
    for path in ("/api/v1/transparency/key", "/api/v1/transparency/checkpoint",
                 "/api/v1/transparency/proof/inclusion?index=3&size=10",
                 "/api/v1/transparency/proof/consistency?first=4&second=10"):
        assert requests.get(served.url + path, timeout=10).status_code == 200, path
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AuditEvent)) == 10
    for query, code in (("index=10&size=10", "invalid_request"), ("index=0&size=11", "beyond_tree"),
                        ("index=-1&size=3", "invalid_request"), ("index=0", "invalid_request"),
                        ("index=1e3&size=5", "invalid_request")):
        answer = requests.get(served.url + "/api/v1/transparency/proof/inclusion?" + query, timeout=10)
        assert answer.status_code == 422 and answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["code"] == code, query
    answer = requests.get(served.url + "/api/v1/transparency/proof/consistency?first=0&second=3", timeout=10)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


def test_each_address_is_limited(app, database_url, oidc_provider, tmp_path):
    limited = create_app({**app.config, "LOG_RATE_LIMIT": "3 per minute", "INSTANCE_PATH": str(tmp_path / "other")})
    with LiveServer(limited) as server:
        answers = [requests.get(server.url + "/api/v1/transparency/key", timeout=10) for _ in range(4)]
    db.dispose(limited)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].headers["Content-Type"] == "application/problem+json" and answers[3].headers["Retry-After"]


def test_checkpoints_are_coalesced_and_the_same_tree_gives_the_same_note(app, served):
    add_events(app, 5)
    first = requests.get(served.url + "/api/v1/transparency/checkpoint", timeout=10).text
    add_events(app, 1)
    within = requests.get(served.url + "/api/v1/transparency/checkpoint", timeout=10).text
    assert within == first and first.splitlines()[1] == "5"  # no second signature within the interval
    with app.app_context():
        from portal.log_proofs import checkpoint

        signed = checkpoint(needed=6)  # a receipt's leaf: waits for the interval, then signs
        assert signed.size == 6
        db.session().execute(delete(LogCheckpoint).where(LogCheckpoint.size == 6))
        db.session().commit()
        assert checkpoint(needed=6).note == signed.note  # signed again: the very same bytes


# --- monitors and verify-audit against an insider ----------------------------------------------

def test_a_monitor_sees_the_log_grow(app, served, tmp_path, capsys):
    state = tmp_path / "state.json"
    add_events(app, 20)
    assert monitor(served, state, capsys)[0] == 0
    add_events(app, 300)
    with app.app_context():
        from portal.log_proofs import checkpoint

        checkpoint(needed=320)
    code, output = monitor(served, state, capsys)
    assert code == 0 and "320" in output
    assert json.loads(state.read_text())  # kept for the next run


def test_the_last_50_events_deleted_are_caught(app, served, tmp_path, capsys):
    state = tmp_path / "state.json"
    add_events(app, 300)
    assert monitor(served, state, capsys)[0] == 0
    saved = state.read_text()
    with app.app_context():
        session = db.session()
        with unit_of_work(session):
            session.execute(delete(AuditEvent).where(AuditEvent.seq > 250))
    assert verify_audit(app).exit_code == 1  # the tree still has their leaves
    rebuild_tree_and_resign(app)
    assert verify_audit(app).exit_code == 0  # the insider made the database agree with itself
    code, output = monitor(served, state, capsys)
    assert code == 1 and "300" in output and "250" in output
    assert state.read_text() == saved


@pytest.mark.parametrize("more_events", [0, 30])
def test_an_event_rewritten_with_every_later_hash_is_caught(app, served, tmp_path, capsys, more_events):
    state = tmp_path / "state.json"
    add_events(app, 300)
    assert monitor(served, state, capsys)[0] == 0
    with app.app_context():
        session = db.session()
        with unit_of_work(session):
            session.execute(update(AuditEvent).where(AuditEvent.seq == 150).values(details='{"n":"rewritten"}'))
            recompute_chain_from(session, 150)
    result = verify_audit(app)  # the chain alone: caught by the tree
    assert result.exit_code == 1 and "event 150 does not match leaf 149" in result.output
    add_events(app, more_events)
    rebuild_tree_and_resign(app)  # chain and tree both: the monitor's checkpoint catches it
    code, output = monitor(served, state, capsys)
    assert code == 1, output


def test_two_checkpoints_of_the_same_size_are_a_fork(app, served, tmp_path, capsys):
    state = tmp_path / "state.json"
    add_events(app, 40)
    assert monitor(served, state, capsys)[0] == 0
    with app.app_context():
        session = db.session()
        with unit_of_work(session):
            session.execute(update(AuditEvent).where(AuditEvent.seq == 40).values(action="test.other"))
            recompute_chain_from(session, 40)
    rebuild_tree_and_resign(app)
    code, output = monitor(served, state, capsys)
    assert code == 1 and "40" in output
