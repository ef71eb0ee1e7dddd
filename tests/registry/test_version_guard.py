"""Every change of what is in force writes its version, under the chain lock: the membership
index of the lookups sees changes only through versions, in id order. ``registry.oppositions``
is the one path that does it; the database (migration 0019) refuses any other."""

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from registry import membership
from registry.db import create_database_engine
from registry.identifiers import parse_identifier
from registry.lookups import lookup_batch
from registry.models import OppositionVersion
from registry.oppositions import file_opposition
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

FIRST = make_nir(2, 85, 2, "2A", "004", 123)
SECOND = make_nir(1, 78, 11, "99", "350", 45)


@pytest.fixture
def engine(database_url):
    membership.forget_indexes()
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()
    membership.forget_indexes()


def filed(engine, keyring, number) -> int:
    with Session(engine) as session:
        version = file_opposition(session, keyring, parse_identifier(number), [Purpose.RESEARCH])
        session.commit()
        return version.subject_id


def opposed(engine, keyring, numbers):
    with Session(engine) as session:
        return [answer.opposed for answer in lookup_batch(session, keyring, numbers, Purpose.RESEARCH)]


@pytest.mark.parametrize("change", [
    "UPDATE subjects SET opposed_purposes = 0 WHERE id = :id",  # a withdrawal without its version
    "UPDATE subjects SET opposed_purposes = 255 WHERE id = :id",  # a widening without its version
    "UPDATE subjects SET opposed_purposes = 0, current_version = current_version + 1 WHERE id = :id",
    "UPDATE subjects SET current_version = current_version + 1 WHERE id = :id",
])
def test_a_subject_cannot_change_without_the_version_of_the_change(engine, keyring, change):
    subject_id = filed(engine, keyring, FIRST)
    with Session(engine) as session, pytest.raises(DatabaseError, match="writes its version first"):
        session.execute(text(change), {"id": subject_id})
    assert opposed(engine, keyring, [FIRST]) == [True]


def test_a_version_that_does_not_match_the_subject_is_refused_too(engine, keyring):
    subject_id = filed(engine, keyring, FIRST)
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": 0x52_4E_4F_41})
        session.execute(text(
            "INSERT INTO opposition_versions (subject_id, version, action, purposes_mask, channel, actor, effective_at,"
            " recorded_at, receipt_reference, claim_mask) SELECT id, current_version + 1, 'changed', 255, 'online',"
            " 'self', updated_at, updated_at, 'R-ROGUE', 255 FROM subjects WHERE id = :id"), {"id": subject_id})
        with pytest.raises(DatabaseError, match="writes its version first"):  # the version says 255, not 0
            session.execute(text("UPDATE subjects SET opposed_purposes = 0, current_version = current_version + 1"
                                 " WHERE id = :id"), {"id": subject_id})


def test_on_postgresql_a_version_needs_the_chain_lock(engine, keyring):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: versions are numbered in commit order without a lock")
    subject_id = filed(engine, keyring, FIRST)
    with Session(engine) as session, pytest.raises(DatabaseError, match="under the chain lock"):
        session.execute(text(
            "INSERT INTO opposition_versions (subject_id, version, action, purposes_mask, channel, actor, effective_at,"
            " recorded_at, receipt_reference, claim_mask) SELECT id, current_version + 1, 'withdrawn', 0, 'online',"
            " 'self', updated_at, updated_at, 'R-ROGUE', 0 FROM subjects WHERE id = :id"), {"id": subject_id})


def test_two_filings_on_postgresql_commit_in_the_order_of_their_version_ids(engine, keyring):
    """The first transaction files and holds; the second files and commits at once. Without the
    chain lock the second would commit first with the higher id, and an index that read that id
    would never look back for the first. With it, the second waits, and ids follow commits."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second filing cannot start before the first commits")
    assert opposed(engine, keyring, [FIRST, SECOND]) == [False, False]  # the index is loaded, empty
    first = Session(engine)
    first_version = file_opposition(first, keyring, parse_identifier(FIRST), [Purpose.RESEARCH])
    second_ids, committed = [], threading.Event()

    def second_filing():
        with Session(engine) as session:
            version = file_opposition(session, keyring, parse_identifier(SECOND), [Purpose.RESEARCH])
            session.commit()
            second_ids.append(version.id)
            committed.set()

    thread = threading.Thread(target=second_filing)
    thread.start()
    with engine.connect() as watcher:  # wait until the second filing is queued on the chain lock
        waiting = 0
        for _ in range(600):
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == 1
    assert not committed.is_set()
    assert opposed(engine, keyring, [FIRST, SECOND]) == [False, False]
    first.commit()
    thread.join(timeout=60)
    assert committed.is_set() and first_version.id < second_ids[0]
    assert opposed(engine, keyring, [FIRST, SECOND]) == [True, True]
    first.close()
    with Session(engine) as session:
        ids = session.scalars(text("SELECT id FROM opposition_versions ORDER BY audit_seq")).all()
    assert ids == sorted(ids) and len(ids) == 2
