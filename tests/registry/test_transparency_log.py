"""The transparency log's tree against pymerkle (an independent RFC 9162 implementation), and
``verify_log`` against an insider editing copies of the database."""

import pytest
from pymerkle import InmemoryTree
from sqlalchemy import delete, select, update

from registry import log_tree
from registry.audit import GENESIS_HASH, event_hash, leaf_bytes, record_event, verify_chain
from registry.checkpoints import NoteSigner, sign_current
from registry.log_checks import verify_log
from registry.log_tree import LogPendingHash, LogTile, TreeReader
from registry.models import AuditEvent

pytestmark = pytest.mark.db

SIGNER = NoteSigner.from_seed("test.registre-opposition.invalid/journal", bytes(range(32)))


def _reference_tree(entries):
    return InmemoryTree.init_from_entries(entries, algorithm="sha256")


def test_every_past_root_matches_an_independent_implementation(session):
    entries = [f"entry {i}".encode() for i in range(600)]  # past two tiles, every ragged edge
    for index, entry in enumerate(entries):
        log_tree.append(session, index, entry)
    reader = TreeReader(session)
    assert log_tree.tree_size(session) == 600
    for size in (1, 2, 3, 7, 255, 256, 257, 511, 512, 513, 600):
        assert reader.root(size) == _reference_tree(entries[:size]).get_root()
    assert reader.root(0) == log_tree.EMPTY_ROOT


def test_a_bulk_build_gives_the_tree_appends_give_across_the_second_stored_level(session):
    hashes = [log_tree.leaf_hash(b"%d" % i) for i in range(70_000)]
    assert log_tree.build(session, hashes) == 70_000
    assert session.scalar(select(LogTile.hashes).where(LogTile.level == 1, LogTile.tile == 0)) is not None
    reader = TreeReader(session)
    assert reader.root(70_000) == _reference_tree([b"%d" % i for i in range(70_000)]).get_root()
    for index in (70_000, 70_001):
        log_tree.append(session, index, b"%d" % index)
    assert log_tree.tree_size(session) == 70_002
    assert TreeReader(session).root(70_002) == _reference_tree([b"%d" % i for i in range(70_002)]).get_root()


def test_each_event_is_a_leaf_that_names_no_one(session):
    events = [record_event(session, action="opposition.filed", actor="account:7", target="subject:42",
                           details={"receipt": "RNO-AAAA-BBBB-CCCC-DDDD", "purposes": ["research"]})
              for _ in range(3)]
    leaf = leaf_bytes(events[1]).decode()
    assert leaf.splitlines() == [
        "registre-opposition/audit-event/1", "seq 2", "action opposition.filed",
        "time " + events[1].occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "receipt RNO-AAAA-BBBB-CCCC-DDDD", f"event {events[1].hash}"]
    assert "subject" not in leaf and "account" not in leaf and "research" not in leaf
    assert TreeReader(session).leaf(1) == log_tree.leaf_hash(leaf.encode())
    assert verify_log(session).ok


def _events(session, count):
    for i in range(count):
        record_event(session, action="test.event", actor="system", details={"n": i})
    sign_current(session, SIGNER, needed=count)


def recompute_chain_from(session, seq):
    """What an insider does after editing event ``seq``: every later chain hash recomputed."""
    prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)) or GENESIS_HASH
    for event in session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)):
        event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
    session.flush()


def test_an_event_edited_and_the_chain_recomputed_no_longer_matches_the_tree(session):
    _events(session, 300)
    session.execute(update(AuditEvent).where(AuditEvent.seq == 150).values(details='{"n":"edited"}'))
    recompute_chain_from(session, 150)
    assert verify_chain(session).ok  # the chain alone cannot tell
    report = verify_log(session, SIGNER)
    assert not report.ok and "event 150 does not match leaf 149" in report.problem


def test_the_last_events_deleted_leave_leaves_without_events(session):
    _events(session, 300)
    session.execute(delete(AuditEvent).where(AuditEvent.seq > 250))
    assert verify_chain(session).ok
    assert "the chain has only 250 events" in verify_log(session, SIGNER).problem


def test_a_tree_rebuilt_after_an_edit_no_longer_gives_its_signed_roots(session):
    _events(session, 300)
    session.execute(update(AuditEvent).where(AuditEvent.seq == 20).values(details='{"n":"edited"}'))
    recompute_chain_from(session, 20)
    session.execute(delete(LogTile))
    session.execute(delete(LogPendingHash))
    log_tree.build(session, [log_tree.leaf_hash(leaf_bytes(e))
                             for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))])
    report = verify_log(session, SIGNER)
    assert not report.ok and "no longer gives the root signed then" in report.problem


def test_a_stored_hash_changed_in_the_tree_only_is_caught(session):
    _events(session, 300)
    session.execute(update(LogPendingHash).where(LogPendingHash.level == 0, LogPendingHash.position == 270)
                    .values(hash=b"\x00" * 32))
    assert "event 271 does not match leaf 270" in verify_log(session, SIGNER).problem


def test_a_checkpoint_signed_by_another_key_is_caught(session):
    _events(session, 5)
    other = NoteSigner.from_seed(SIGNER.name, bytes(32))
    assert verify_log(session, SIGNER).ok
    assert "not signed by the log's key" in verify_log(session, other).problem


def test_the_same_tree_gives_the_same_note_whoever_signs_it(session):
    _events(session, 10)
    first = sign_current(session, SIGNER, needed=10)
    again = SIGNER.sign(first.note.split("\n\n")[0] + "\n")
    assert again == first.note and SIGNER.opens(first.note)
    assert first.note.splitlines()[:3] == [SIGNER.name, "10", first.note.splitlines()[2]]
