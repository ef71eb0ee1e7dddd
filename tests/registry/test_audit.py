import pytest
from sqlalchemy import select, update

from registry.audit import GENESIS_HASH, record_event, verify_chain
from registry.identifiers import parse_identifier
from registry.models import AuditEvent
from registry.oppositions import file_opposition, withdraw_opposition
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db


def test_each_event_links_to_the_previous_one(session):
    first = record_event(session, action="test.one", actor="system")
    second = record_event(session, action="test.two", actor="system", details={"n": 2})
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert (first.seq, second.seq) == (1, 2)
    assert verify_chain(session).ok and verify_chain(session).count == 2


def test_opposition_changes_are_audited_without_the_identifier(session, keyring):
    value = make_nir(1, 78, 11, "99", "350", 45)
    identifier = parse_identifier(value)
    file_opposition(session, keyring, identifier)
    withdraw_opposition(session, keyring, identifier)
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["opposition.filed", "opposition.withdrawn"]
    assert all(e.target and e.target.startswith("subject:") for e in events)
    assert not any(value in (e.details + (e.target or "")) for e in events)


@pytest.mark.parametrize("field", ["details", "actor", "occurred_at"])
def test_tampering_with_one_event_is_found_on_that_event(session, field):
    for n in range(5):
        record_event(session, action="test.event", actor="system", details={"n": n})
    original = session.scalars(select(AuditEvent).where(AuditEvent.seq == 3)).one()
    changes = {
        "details": '{"n":99}',
        "actor": "someone-else",
        "occurred_at": original.occurred_at.replace(year=2001),
    }
    session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values({field: changes[field]}))
    session.expire_all()
    report = verify_chain(session)
    assert not report.ok
    assert report.broken_seq == 3
    assert report.count == 2


def test_a_deleted_event_is_found(session):
    for n in range(4):
        record_event(session, action="test.event", actor="system", details={"n": n})
    session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq == 2))
    session.expire_all()
    report = verify_chain(session)
    assert (report.ok, report.broken_seq) == (False, 3)
