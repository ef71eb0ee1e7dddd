"""``verify-audit``'s checks of the transparency log against the audit chain.

The chain (``registry.audit.verify_chain``) and the tree are kept apart on purpose: an insider
who edits an event and recomputes every later chain hash leaves leaves that no longer match, and
one who rebuilds the tree leaves stored checkpoints whose roots it no longer gives. Only an
insider who rewrites events, chain, tree and every checkpoint with the signing key passes here;
monitors holding an earlier checkpoint (``registre-verify monitor``) catch that one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import zip_longest

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import leaf_bytes
from registry.checkpoints import LogCheckpoint, NoteSigner, checkpoint_body
from registry.log_tree import HASH_SIZE, TILE_WIDTH, LogPendingHash, LogTile, TreeReader, fold, leaf_hash, tree_size
from registry.models import AuditEvent


@dataclass(frozen=True)
class LogReport:
    size: int
    checkpoints: int = 0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _stored(session: Session, level: int) -> Iterator[tuple[int, bytes]]:
    """Every stored hash of one level, in order: the full tiles', then the pending ones."""
    with session.execute(select(LogTile.tile, LogTile.hashes).where(LogTile.level == level)
                         .order_by(LogTile.tile).execution_options(yield_per=64)) as tiles:
        for tile, blob in tiles:
            for offset in range(TILE_WIDTH):
                yield tile * TILE_WIDTH + offset, blob[offset * HASH_SIZE:(offset + 1) * HASH_SIZE]
    yield from session.execute(select(LogPendingHash.position, LogPendingHash.hash)
                               .where(LogPendingHash.level == level).order_by(LogPendingHash.position)).all()


def _full_tiles(session: Session, level: int) -> Iterator[tuple[int, bytes]]:
    with session.execute(select(LogTile.tile, LogTile.hashes).where(LogTile.level == level)
                         .order_by(LogTile.tile).execution_options(yield_per=64)) as tiles:
        for tile, blob in tiles:
            yield tile, fold([blob[i:i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)])


def _leaves_match_events(session: Session) -> str | None:
    events = session.execute(
        select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.details, AuditEvent.hash)
        .order_by(AuditEvent.seq).execution_options(yield_per=1000))
    with events, closing(_stored(session, 0)) as stored_hashes:
        return _first_mismatch(events, stored_hashes)


def _first_mismatch(events, stored_hashes) -> str | None:
    for expected, (event, stored) in enumerate(zip_longest(events, stored_hashes)):
        if event is None:
            return f"the tree has leaf {stored[0]} but the chain has only {expected} events (events deleted?)"
        if stored is None:
            return f"event {event.seq} has no leaf in the tree (the tree was cut short?)"
        if stored[0] != expected or event.seq != expected + 1:
            return f"leaf {expected}: the tree or the chain has a gap"
        if stored[1] != leaf_hash(leaf_bytes(event)):
            return (f"event {event.seq} does not match leaf {expected} of the tree: "
                    "the event, or the tree, was changed after it was written")
    return None


def _levels_fold(session: Session) -> str | None:
    level = 0
    while True:
        with closing(_full_tiles(session, level)) as folds, closing(_stored(session, level + 1)) as above:
            found = False
            for folded, stored in zip_longest(folds, above):
                found = True
                if folded is None or stored is None or folded[0] != stored[0] or folded[1] != stored[1]:
                    return f"the tree's tile {level}/{(folded or stored)[0]} does not match the level above it"
        if not found:
            return None
        level += 1


def verify_log(session: Session, signer: NoteSigner | None = None) -> LogReport:
    """Check that the tree holds exactly one leaf per event, that its levels agree, and that
    every kept checkpoint is the tree's root at its size (and signed by ``signer``'s key)."""
    size = tree_size(session)
    problem = _leaves_match_events(session) or _levels_fold(session)
    if problem:
        return LogReport(size, problem=problem)
    reader = TreeReader(session)
    count = 0
    for checkpoint in session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)):
        count += 1
        if checkpoint.size > size:
            return LogReport(size, count, f"checkpoint {checkpoint.size} is larger than the tree ({size})")
        if reader.root(checkpoint.size) != checkpoint.root:
            return LogReport(size, count, f"the tree at size {checkpoint.size} no longer gives the root signed then")
        if signer is not None and (not signer.opens(checkpoint.note)
                                   or not checkpoint.note.startswith(checkpoint_body(signer.name, checkpoint.size,
                                                                                     checkpoint.root))):
            return LogReport(size, count, f"checkpoint {checkpoint.size} is not signed by the log's key")
    return LogReport(size, count)
