"""The transparency log's Merkle tree (RFC 9162 hashing), stored as tiles.

Every audit event is a leaf: leaf ``i`` is the event of ``seq`` ``i + 1``. A leaf hashes as
``SHA-256(0x00 || leaf)`` and a node as ``SHA-256(0x01 || left || right)``; the tree of ``n``
leaves and its proofs are those of RFC 9162, section 2.1.

Storage follows the layout of C2SP ``tlog-tiles``: the hashes of complete subtrees of height
``8 * L`` ("stored level L") are kept in tiles of 256. A full tile is one row of
``log_tiles`` (8 KiB) and never changes; the hashes of the tile still filling are rows of
``log_pending_hashes``, folded into a tile row when the 256th arrives. So an append inserts one
small row (and every 256th folds a tile, every 65,536th two), ten million leaves take about
321 MB, and any node of any tree size up to the current one is read from at most one tile and
rehashed over at most 255 hashes: proofs are read, not recomputed from the leaves.

Appends happen under the audit chain's lock (``registry.audit``), in the event's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Integer, LargeBinary, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Base

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class LogTile(Base):
    """256 hashes of one stored level, concatenated: written once when full, never changed."""

    __tablename__ = "log_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tile: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LogPendingHash(Base):
    """A hash of a stored level whose tile is not full yet (at most 255 per level)."""

    __tablename__ = "log_pending_hashes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def fold(hashes: list[bytes]) -> bytes:
    """The root of a complete subtree whose bottom row is ``hashes`` (a power of two of them)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


# --- appending ---------------------------------------------------------------------------------

def append(session: Session, index: int, leaf: bytes) -> None:
    """Add leaf ``index`` (the next one) to the tree, in the caller's transaction."""
    _add(session, 0, index, leaf_hash(leaf))


def _add(session: Session, level: int, position: int, digest: bytes) -> None:
    session.add(LogPendingHash(level=level, position=position, hash=digest))
    if position % TILE_WIDTH != TILE_WIDTH - 1:
        return
    session.flush()
    tile = position // TILE_WIDTH
    first = tile * TILE_WIDTH
    in_tile = (LogPendingHash.level == level) & (LogPendingHash.position >= first) & (LogPendingHash.position <= position)
    hashes = list(session.scalars(select(LogPendingHash.hash).where(in_tile).order_by(LogPendingHash.position)))
    if len(hashes) != TILE_WIDTH:
        raise RuntimeError(f"the log's tile {level}/{tile} is missing hashes: the tree needs repair")
    session.add(LogTile(level=level, tile=tile, hashes=b"".join(hashes)))
    session.execute(delete(LogPendingHash).where(in_tile))
    _add(session, level + 1, tile, fold(hashes))


def build(session: Session, leaf_hashes: Iterable[bytes]) -> int:
    """Fill an empty tree with many leaf hashes at once, in order (the migration's backfill, the
    benchmark's ten million), writing rows in batches. Returns the tree size."""
    waiting: list[list[bytes]] = []  # the hashes of each stored level not yet in a full tile
    tiles_done: list[int] = []  # how many full tiles each stored level has
    batch: list[dict] = []

    def push(level: int, digest: bytes) -> None:
        if level == len(waiting):
            waiting.append([])
            tiles_done.append(0)
        waiting[level].append(digest)
        if len(waiting[level]) == TILE_WIDTH:
            full, waiting[level] = waiting[level], []
            batch.append({"level": level, "tile": tiles_done[level], "hashes": b"".join(full)})
            tiles_done[level] += 1
            push(level + 1, fold(full))

    size = 0
    for size, digest in enumerate(leaf_hashes, 1):
        push(0, digest)
        if len(batch) >= 1000:
            session.execute(insert(LogTile), batch)
            batch.clear()
    if batch:
        session.execute(insert(LogTile), batch)
    pending = [{"level": level, "position": tiles_done[level] * TILE_WIDTH + i, "hash": digest}
               for level, hashes in enumerate(waiting) for i, digest in enumerate(hashes)]
    if pending:
        session.execute(insert(LogPendingHash), pending)
    return size


# --- reading -----------------------------------------------------------------------------------

def tree_size(session: Session) -> int:
    """How many leaves the stored tree holds (its own count, independent of the audit chain)."""
    last_tile = session.scalar(select(func.max(LogTile.tile)).where(LogTile.level == 0))
    last_pending = session.scalar(select(func.max(LogPendingHash.position)).where(LogPendingHash.level == 0))
    full = 0 if last_tile is None else (last_tile + 1) * TILE_WIDTH
    return max(full, 0 if last_pending is None else last_pending + 1)


class TreeReader:
    """Reads node hashes from the tiles, caching the tiles it loaded for one proof or root."""

    def __init__(self, session: Session):
        self.session = session
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def _tile(self, level: int, tile: int) -> list[bytes]:
        key = (level, tile)
        if key not in self._tiles:
            blob = self.session.scalar(select(LogTile.hashes).where(LogTile.level == level, LogTile.tile == tile))
            if blob is not None:
                hashes = [blob[i:i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
            else:
                first = tile * TILE_WIDTH
                hashes = list(self.session.scalars(
                    select(LogPendingHash.hash)
                    .where(LogPendingHash.level == level, LogPendingHash.position >= first,
                           LogPendingHash.position < first + TILE_WIDTH)
                    .order_by(LogPendingHash.position)))
            self._tiles[key] = hashes
        return self._tiles[key]

    def node(self, height: int, index: int) -> bytes:
        """The hash of the complete subtree of leaves ``[index * 2**height, (index + 1) * 2**height)``."""
        level, rest = divmod(height, TILE_HEIGHT)
        first = index << rest
        tile, offset = divmod(first, TILE_WIDTH)
        hashes = self._tile(level, tile)[offset:offset + (1 << rest)]
        if len(hashes) != 1 << rest:
            # a concurrent append may have folded the pending hashes into their tile between our
            # two reads of it (PostgreSQL reads each statement afresh): read the tile again once
            del self._tiles[(level, tile)]
            hashes = self._tile(level, tile)[offset:offset + (1 << rest)]
        if len(hashes) != 1 << rest:
            raise LookupError(f"node {height}/{index} is not in the stored tree")
        return fold(hashes)

    def leaf(self, index: int) -> bytes:
        """The stored hash of leaf ``index``."""
        return self.node(0, index)

    def range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) of RFC 9162 for a range whose left parts are aligned (every range
        a root or a proof asks for): complete subtrees are read, the ragged edge hashed."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self.node(n.bit_length() - 1, start // n)
        k = _split(n)
        return node_hash(self.range_hash(start, start + k), self.range_hash(start + k, end))

    def root(self, size: int) -> bytes:
        return self.range_hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 9162, section 2.1.3.1, from the leaf up."""
        if not 0 <= index < size:
            raise ValueError("the leaf index must be smaller than the tree size")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return self._path(m, start, start + k) + [self.range_hash(start + k, end)]
        return self._path(m - k, start + k, end) + [self.range_hash(start, start + k)]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[0:second]) of RFC 9162, section 2.1.4.1."""
        if not 0 < first <= second:
            raise ValueError("a consistency proof needs 0 < first <= second")
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self.range_hash(start, end)]
        k = _split(n)
        if m <= k:
            return self._subproof(m, start, start + k, complete) + [self.range_hash(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self.range_hash(start, start + k)]
