"""Which warehouses applied a person's opposition: recorded by keyed hash, listed for the citizen."""

import datetime as dt

import pytest
from sqlalchemy import select

from registry.identifiers import parse_identifier
from registry.purposes import Purpose
from registry.transparency import OppositionApplied, applications_for, record_applications
from registry.warehouses import create_warehouse, get_warehouse
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

PERSON = make_nir(2, 85, 2, "2A", "004", 123)
OTHER = make_nir(1, 78, 11, "99", "350", 45)
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def warehouses(session):
    ids = []
    for name in ("CHU de Lyon", "EDS AP-HP"):
        ids.append(get_warehouse(session, create_warehouse(session, name).client_id).id)
    return ids


def test_the_citizen_sees_each_warehouse_and_purpose_with_first_and_last_time(session, keyring, warehouses):
    lyon, aphp = warehouses
    digest = keyring.hasher.digest(PERSON)
    record_applications(session, lyon, [digest], Purpose.RESEARCH, now=T0)
    record_applications(session, lyon, [digest], Purpose.RESEARCH, now=T0 + dt.timedelta(days=3))
    record_applications(session, aphp, [digest, keyring.hasher.digest(OTHER)], Purpose.AI,
                        now=T0 + dt.timedelta(days=1))
    seen = applications_for(session, keyring, parse_identifier(PERSON))
    assert [(a.warehouse_name, a.purpose, a.first_seen, a.last_seen) for a in seen] == [
        ("CHU de Lyon", Purpose.RESEARCH, T0, T0 + dt.timedelta(days=3)),
        ("EDS AP-HP", Purpose.AI, T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=1)),
    ]


def test_last_seen_moves_at_most_once_an_hour(session, keyring, warehouses):
    digest = keyring.hasher.digest(PERSON)
    for minutes in (0, 20, 59):
        record_applications(session, warehouses[0], [digest], Purpose.RESEARCH, now=T0 + dt.timedelta(minutes=minutes))
    [only] = applications_for(session, keyring, parse_identifier(PERSON))
    assert (only.first_seen, only.last_seen) == (T0, T0)


def test_only_the_keyed_hash_is_kept_and_duplicates_count_once(session, keyring, warehouses):
    digest = keyring.hasher.digest(PERSON)
    assert record_applications(session, warehouses[0], [digest, digest], Purpose.AI, now=T0) == 1
    assert record_applications(session, warehouses[0], [], Purpose.AI, now=T0) == 0
    rows = session.scalars(select(OppositionApplied)).all()
    assert [(bytes(r.id_hash), r.purpose_bit) for r in rows] == [(digest, Purpose.AI.bit)]


def test_a_person_never_matched_sees_nothing(session, keyring, warehouses):
    assert applications_for(session, keyring, parse_identifier(OTHER)) == []


def test_an_account_space_finds_the_same_list_by_subject_id(session, keyring, warehouses):
    from registry.oppositions import file_opposition
    from registry.transparency import applications_for_subject

    lyon, _ = warehouses
    version = file_opposition(session, keyring, parse_identifier(PERSON))
    record_applications(session, lyon, [keyring.hasher.digest(PERSON)], Purpose.RESEARCH, now=T0)
    by_subject = applications_for_subject(session, version.subject_id)
    assert by_subject == applications_for(session, keyring, parse_identifier(PERSON))
    assert [(a.warehouse_name, a.purpose) for a in by_subject] == [("CHU de Lyon", Purpose.RESEARCH)]
