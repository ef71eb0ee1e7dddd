"""The permit register (``registry.permits``) and lookups under a permit: every refusal, the
exception answered and recorded per person, on both paths of ``lookup_with_token``."""

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import DriverConnection, create_database_engine, create_reader_engine
from registry.identifiers import parse_identifier
from registry.lookup_records import LookupRecorder
from registry.lookups import DIRECT_BELOW, lookup_with_token
from registry.models import AuditEvent, Subject
from registry.oppositions import file_opposition
from registry.permits import (PermitApplication, PermitDetails, PermitError, PermitRefused, change_permit,
                              create_permit, get_permit, permit_grant, public_register)
from registry.purposes import Purpose
from registry.transparency import applications_for_subject
from registry.warehouses import create_warehouse, get_warehouse, store_token
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

OPPOSED = make_nir(2, 85, 2, "2A", "004", 123)
NOT_FILED = make_nir(1, 78, 11, "99", "350", 45)
TODAY = dt.date.today()


def details(reference="HDH-2026-001", holders=(), **changes):
    values = dict(reference=reference, title="Cohorte diabète de type 2", issuing_body="Health Data Hub",
                  purposes=(Purpose.RESEARCH, Purpose.STATISTICS), starts_on=TODAY - dt.timedelta(days=30),
                  ends_on=TODAY + dt.timedelta(days=365), url="https://www.health-data-hub.fr/projets/hdh-2026-001",
                  holders=tuple(holders))
    values.update(changes)
    return PermitDetails(**values)


def test_a_permit_is_created_and_changed_with_an_audit_event_each(session):
    chu = create_warehouse(session, "CHU de Test")
    permit = create_permit(session, details(holders=[chu.client_id]), actor="staff:1")
    assert permit.purposes == [Purpose.STATISTICS, Purpose.RESEARCH] and not permit.has_exception
    change_permit(session, "HDH-2026-001", details(holders=[chu.client_id], title="Nouveau titre",
                                                   exception_basis="Code de la santé publique, art. L. 1461-3",
                                                   exception_reference="Décret 2026-12"), actor="staff:2")
    assert get_permit(session, "HDH-2026-001").exception_reference == "Décret 2026-12"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("permit.%")).order_by(AuditEvent.seq)).all()
    assert [(e.action, e.actor) for e in events] == [("permit.created", "staff:1"), ("permit.changed", "staff:2")]
    assert json.loads(events[1].details)["title"] == "Nouveau titre"
    assert json.loads(events[1].details)["holders"] == [chu.client_id]


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"reference": "bad reference"}, "reference", "format"),
    ({"title": " "}, "title", "required"),
    ({"url": "http://insecure.example"}, "url", "format"),
    ({"purposes": ()}, "purposes", "required"),
    ({"ends_on": TODAY - dt.timedelta(days=60)}, "ends_on", "order"),
    ({"exception_basis": "Loi"}, "exception_reference", "incomplete"),
    ({"holders": ("rno_unknown",)}, "holders", "unknown_warehouse"),
    ({"holders": ()}, "holders", "required"),
])
def test_a_permit_with_a_wrong_detail_names_the_field(session, changes, field, code):
    chu = create_warehouse(session, "CHU de Test")
    values = {"holders": (chu.client_id,), **changes}
    with pytest.raises(PermitError) as error:
        create_permit(session, details(**values), actor="staff:1")
    assert (error.value.field, error.value.code) == (field, code)


def test_a_reference_is_taken_once(session):
    chu = create_warehouse(session, "CHU de Test")
    create_permit(session, details(holders=[chu.client_id]), actor="staff:1")
    with pytest.raises(PermitError) as error:
        create_permit(session, details(holders=[chu.client_id]), actor="staff:1")
    assert error.value.code == "taken"


@pytest.fixture
def world(database_url, keyring):
    """Two warehouses with tokens, one opposition, and permits of every kind."""
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        file_opposition(session, keyring, parse_identifier(OPPOSED))
        chu = create_warehouse(session, "CHU de Test", scope="lookup jobs")
        other = create_warehouse(session, "EDS voisin", scope="lookup jobs")
        store_token(session, get_warehouse(session, chu.client_id), "good-token", "lookup jobs", 900)
        holders = [chu.client_id]
        create_permit(session, details("P-OK", holders), actor="t")
        create_permit(session, details("P-EXC", holders, exception_basis="Règlement (UE) 2025/327, art. 71(4)",
                                       exception_reference="DEC-2026-7"), actor="t")
        create_permit(session, details("P-ENDED", holders, starts_on=TODAY - dt.timedelta(days=400),
                                       ends_on=TODAY - dt.timedelta(days=1)), actor="t")
        create_permit(session, details("P-LATER", holders, starts_on=TODAY + dt.timedelta(days=1)), actor="t")
        create_permit(session, details("P-OTHER", [other.client_id]), actor="t")
        session.commit()
    readers = create_reader_engine(database_url, engine)
    connection = DriverConnection(readers)
    yield engine, connection
    connection.close()
    readers.dispose()
    engine.dispose()


BATCHES = {"one round trip": [OPPOSED, NOT_FILED], "token then batch": [OPPOSED, NOT_FILED] * DIRECT_BELOW}


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
@pytest.mark.parametrize(("permit", "purpose", "code"), [
    ("P-NONE", Purpose.RESEARCH, "unknown_permit"),
    ("P-ENDED", Purpose.RESEARCH, "permit_expired"),
    ("P-LATER", Purpose.RESEARCH, "permit_not_started"),
    ("P-OTHER", Purpose.RESEARCH, "permit_not_held"),
    ("P-OK", Purpose.AI, "permit_purpose_not_covered"),
])
def test_every_refusal_of_a_permit_carries_its_code_and_no_answer(world, keyring, batch, permit, purpose, code):
    _, reader = world
    with pytest.raises(PermitRefused) as refused:
        lookup_with_token(reader, "good-token", keyring, batch, purpose, permit=permit)
    assert refused.value.code == code and refused.value.client.name == "CHU de Test"


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
def test_a_refused_token_is_refused_before_the_permit(world, keyring, batch):
    _, reader = world
    assert lookup_with_token(reader, "bad-token", keyring, batch, Purpose.RESEARCH, permit="P-NONE") == (None, None)


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
def test_a_permit_in_force_answers_as_without_and_carries_its_exception(world, keyring, batch):
    _, reader = world
    _, plain = lookup_with_token(reader, "good-token", keyring, batch, Purpose.RESEARCH)
    _, permitted = lookup_with_token(reader, "good-token", keyring, batch, Purpose.RESEARCH, permit="P-OK")
    _, excepted = lookup_with_token(reader, "good-token", keyring, batch, Purpose.STATISTICS, permit="P-EXC")
    assert permitted.opposed == plain.opposed == excepted.opposed
    assert permitted.opposed_digests == plain.opposed_digests
    assert (permitted.permit.reference, permitted.permit.exception) == ("P-OK", None)
    assert (excepted.permit.reference, excepted.permit.exception) == ("P-EXC", "DEC-2026-7")


def test_the_exception_is_recorded_for_the_person_apart_from_applications(world, keyring):
    engine, reader = world
    recorder = LookupRecorder(0)
    client, ok = lookup_with_token(reader, "good-token", keyring, [OPPOSED], Purpose.RESEARCH, permit="P-OK")
    _, exc = lookup_with_token(reader, "good-token", keyring, [OPPOSED], Purpose.STATISTICS, permit="P-EXC")
    now = dt.datetime.now(dt.timezone.utc)
    for answer, purpose in ((ok, Purpose.RESEARCH), (exc, Purpose.STATISTICS)):
        recorder.add(client_id=client.client_id, warehouse_id=client.warehouse_id, purpose=purpose, identifiers=1,
                     invalid=0, opposed_digests=answer.opposed_digests, moment=now, permit_id=answer.permit.id,
                     exception=answer.permit.exception is not None)
    with Session(engine) as session:
        recorder.write(session)
        subject_id = session.scalar(select(Subject.id))
        lines = applications_for_subject(session, subject_id)
        assert {(a.permit_reference, a.purpose, a.exception_reference) for a in lines} == {
            ("P-OK", Purpose.RESEARCH, None), ("P-EXC", Purpose.STATISTICS, "DEC-2026-7")}
        excepted = next(a for a in lines if a.exception)
        assert excepted.exception_basis.startswith("Règlement") and excepted.permit_title.startswith("Cohorte")
        assert session.scalar(select(PermitApplication.exception).where(PermitApplication.purpose_bit ==
                                                                        Purpose.STATISTICS.bit)) is True
        register = {line.permit.reference: line for line in public_register(session)}
        assert register["P-EXC"].excepted is None and register["P-OK"].excluded is None  # one person: under 10


def test_permit_grant_checks_the_same_rules_for_jobs(world):
    engine, _ = world
    with Session(engine) as session:
        chu = get_warehouse(session, session.scalar(select(AuditEvent.target).where(
            AuditEvent.action == "warehouse.created").order_by(AuditEvent.seq)))
        assert permit_grant(session, "P-EXC", chu.id, Purpose.RESEARCH).exception == "DEC-2026-7"
        for reference, code in (("P-NONE", "unknown_permit"), ("P-ENDED", "permit_expired"),
                                ("P-OTHER", "permit_not_held")):
            with pytest.raises(PermitRefused) as refused:
                permit_grant(session, reference, chu.id, Purpose.RESEARCH)
            assert refused.value.code == code


def test_a_journal_line_keeps_the_permit_and_the_exception_for_a_replay():
    from registry.lookup_journal import JournalEntry

    moment = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)
    entry = JournalEntry(client_id="rno_x", warehouse_id=3, purpose="research", identifiers=2, invalid=0,
                         opposed_digests=[b"\x01" * 32], moment=moment, permit_id=7, exception=True)
    assert JournalEntry.parse(entry.line()) == entry
    plain = JournalEntry(client_id="rno_x", warehouse_id=3, purpose="research", identifiers=2, invalid=0,
                         opposed_digests=[], moment=moment)
    assert b'"q"' not in plain.line() and JournalEntry.parse(plain.line()) == plain


def test_on_postgresql_a_single_lookup_under_a_permit_is_one_statement(world, keyring, monkeypatch):
    """The token, the permit and the matches in one prepared statement: no cursor is opened."""
    _, reader = world
    if reader.dialect_name != "postgresql":
        pytest.skip("SQLite has no round trip to save")
    real, executed = reader.driver_connection.pgconn, []

    class CountingConnection:
        def __getattr__(self, name):
            return getattr(real, name)

        def exec_prepared(self, name, values):
            executed.append(name)
            return real.exec_prepared(name, values)

    class OnlyPrepared:
        pgconn = CountingConnection()

        def cursor(self):
            raise AssertionError("a second statement was sent")

    monkeypatch.setattr(reader, "driver_connection", OnlyPrepared())
    _, answer = lookup_with_token(reader, "good-token", keyring, [OPPOSED], Purpose.STATISTICS, permit="P-EXC")
    assert answer.opposed == [True] and answer.permit.exception == "DEC-2026-7"
    with pytest.raises(PermitRefused):
        lookup_with_token(reader, "good-token", keyring, [OPPOSED], Purpose.RESEARCH, permit="P-ENDED")
    assert executed == [b"registre_lookup_with_token_permit"] * 2
