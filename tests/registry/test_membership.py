"""The membership index in front of the lookups, private or shared: always as fresh as the database."""

import pytest
from sqlalchemy.orm import Session

from registry import membership
from registry.db import create_database_engine
from registry.hashing import lookup_key
from registry.identifiers import parse_identifier
from registry.lookups import lookup_batch
from registry.membership import membership_index
from registry.models import Subject
from registry.oppositions import change_purposes, file_opposition, withdraw_opposition
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

FIRST = make_nir(2, 85, 2, "2A", "004", 123)
SECOND = make_nir(1, 78, 11, "99", "350", 45)
THIRD = make_nir(2, 90, 6, "75", "056", 78)


@pytest.fixture(autouse=True)
def through_the_index(monkeypatch):
    from registry import lookups

    monkeypatch.setattr(lookups, "DIRECT_BELOW", 0)  # however small the batch


@pytest.fixture(params=["private", "shared"])
def engines(database_url, request, tmp_path):
    """A reader (the warehouse's lookups) and a writer (the citizen portal), each its own engine;
    the reader's index kept in the process, or mapped from a snapshot file."""
    membership.forget_indexes()
    membership.share_in(tmp_path / "membership" if request.param == "shared" else None)
    reader, writer = create_database_engine(database_url), create_database_engine(database_url)
    yield reader, writer
    reader.dispose()
    writer.dispose()
    membership.share_in(None)
    membership.forget_indexes()


def commit(engine, action):
    with Session(engine) as session:
        action(session)
        session.commit()


def opposed(engine, keyring, numbers, purpose=Purpose.RESEARCH):
    with Session(engine) as session:
        return [r.opposed for r in lookup_batch(session, keyring, numbers, purpose)]


def test_a_filing_committed_after_the_index_was_loaded_is_seen(engines, keyring):
    reader, writer = engines
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(FIRST)))
    assert opposed(reader, keyring, [FIRST, SECOND]) == [True, False]
    index = membership_index(reader)
    loaded = index.loads
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(SECOND)))
    assert opposed(reader, keyring, [FIRST, SECOND]) == [True, True]
    assert index.loads == loaded, "a small change is applied, not reloaded"


def test_a_withdrawal_and_a_change_of_purpose_committed_after_loading_are_seen(engines, keyring):
    reader, writer = engines
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(FIRST)))
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(SECOND)))
    assert opposed(reader, keyring, [FIRST, SECOND]) == [True, True]
    commit(writer, lambda s: withdraw_opposition(s, keyring, parse_identifier(FIRST)))
    commit(writer, lambda s: change_purposes(s, keyring, parse_identifier(SECOND), [Purpose.AI]))
    assert opposed(reader, keyring, [FIRST, SECOND]) == [False, False]
    assert opposed(reader, keyring, [FIRST, SECOND], Purpose.AI) == [False, True]
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(FIRST), [Purpose.RESEARCH]))
    assert opposed(reader, keyring, [FIRST, SECOND]) == [True, False]


def test_the_index_never_keeps_what_a_transaction_did_not_commit(engines, keyring):
    reader, _ = engines
    with Session(reader) as session:
        file_opposition(session, keyring, parse_identifier(THIRD))
        session.flush()
        assert [r.opposed for r in lookup_batch(session, keyring, [THIRD], Purpose.AI)] == [True], \
            "a transaction sees its own filing"
        session.rollback()
    assert opposed(reader, keyring, [THIRD], Purpose.AI) == [False]
    commit(reader, lambda s: file_opposition(s, keyring, parse_identifier(SECOND)))
    assert opposed(reader, keyring, [THIRD, SECOND], Purpose.AI) == [False, True]


def test_people_sharing_a_lookup_key_keep_both_their_purposes(engines, keyring):
    reader, writer = engines
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(FIRST), [Purpose.AI]))
    assert opposed(reader, keyring, [FIRST], Purpose.AI) == [True]
    digest = keyring.hasher.digest(SECOND)
    other = keyring.hasher.digest(FIRST)[:8] + digest[8:]  # FIRST's key, another person's digest

    def add_twin(session):
        session.add(Subject(id_hash=other, lookup_key=lookup_key(other), hash_key_id="x",
                            oprf_output=bytes(64), oprf_key_id="x", opposed_purposes=Purpose.RESEARCH.bit,
                            current_version=1))

    commit(writer, add_twin)  # no version: seen only when the index reloads or the key changes again
    commit(writer, lambda s: withdraw_opposition(s, keyring, parse_identifier(FIRST)))
    index = membership_index(reader)
    with Session(reader) as session:
        keys = __import__("numpy").array([lookup_key(other)], dtype="int64")
        assert list(index.candidates(session.connection().connection.driver_connection, keys, Purpose.RESEARCH.bit)) == [0], \
            "the change of FIRST's key brought its twin's mask along"
    assert opposed(reader, keyring, [FIRST], Purpose.AI) == [False]


def test_many_changes_are_merged_and_a_long_way_behind_reloads(engines, keyring, monkeypatch):
    reader, writer = engines
    monkeypatch.setattr(membership, "MERGE_AFTER", 2)
    numbers = [make_nir(1, 60 + i, 1, "13", "055", 100 + i) for i in range(4)]
    assert opposed(reader, keyring, numbers) == [False] * 4
    index = membership_index(reader)
    for number in numbers[:3]:
        commit(writer, lambda s, n=number: file_opposition(s, keyring, parse_identifier(n)))
        opposed(reader, keyring, numbers)
    assert opposed(reader, keyring, numbers) == [True, True, True, False]
    monkeypatch.setattr(membership, "RELOAD_AFTER", 1)
    loaded = index.loads
    commit(writer, lambda s: withdraw_opposition(s, keyring, parse_identifier(numbers[0])))
    commit(writer, lambda s: file_opposition(s, keyring, parse_identifier(numbers[3])))
    assert opposed(reader, keyring, numbers) == [False, True, True, True]
    assert index.loads == loaded + 1
