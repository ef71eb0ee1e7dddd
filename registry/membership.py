"""An in-process membership index of the opposed lookup keys, checked before the database.

A batch lookup spends most of its database time probing the index for identifiers that are not
opposed (most of them). Each process keeps instead a sorted numpy array of the ``lookup_key`` of
every subject whose opposition is in force, with the purpose mask beside it: a whole batch is
searched at once with ``np.searchsorted``, and only the candidates (a minority) go to the
database, which confirms them on the full digest in the caller's transaction. 5 million
oppositions take 50 MB.

Freshness: an opposition committed before a lookup starts is always seen by it. ``version`` is
the highest ``opposition_versions.id``; every change to a subject's opposition writes a version
in the same transaction, and versions become visible in id order (SQLite has one writer at a
time; on PostgreSQL ``registry.oppositions`` takes the audit chain's lock before numbering a
version, which it holds until commit). Each lookup reads the version in its own transaction
first; when it is newer than the index, the index applies the changes since (the subjects
changed by newer versions, with every subject sharing their keys, so a shared key keeps the
union of their masks), or reloads when there are many. The index is read and refreshed through
a connection of its own, so it only ever holds committed data; when the caller's transaction
sees versions the index does not (its own uncommitted writes), those changes are read through
the caller's transaction for that lookup only.

Withdrawals and changes of purpose arrive the same way; and since every candidate is confirmed
in the database, an index that is briefly ahead of or behind on a withdrawal never changes an
answer.
"""

from __future__ import annotations

import threading

import numpy as np
from sqlalchemy import Engine

MERGE_AFTER = 50_000  # overlay entries before they are merged into the main arrays
RELOAD_AFTER = 200_000  # versions behind before a full reload is cheaper than a delta
_FETCH = 200_000

_VERSION_SQL = "SELECT COALESCE(MAX(id), 0) FROM opposition_versions"
_LOAD_SQL = "SELECT lookup_key, opposed_purposes FROM subjects WHERE opposed_purposes <> 0 ORDER BY lookup_key"
_DELTA_SQL = (
    "SELECT lookup_key, opposed_purposes FROM subjects WHERE lookup_key IN ("
    "SELECT s.lookup_key FROM subjects s JOIN opposition_versions v ON v.subject_id = s.id WHERE v.id > {})"
)


def _scalar(cursor, sql: str, params=()):
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def _marker(postgres: bool) -> str:
    return "%s" if postgres else "?"


def _combine(keys: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by key and merge duplicate keys (two people sharing 8 bytes) into one mask."""
    if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
        order = np.argsort(keys, kind="stable")
        keys, masks = keys[order], masks[order]
    if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        masks = np.bitwise_or.reduceat(masks, starts)
        keys = keys[starts]
    return np.ascontiguousarray(keys), np.ascontiguousarray(masks)


def _changes(cursor, postgres: bool, since: int) -> dict[int, int]:
    """key -> union of the current masks of every subject with that key, for the keys of the
    subjects changed by a version newer than ``since`` (mask 0: no longer opposed)."""
    cursor.execute(_DELTA_SQL.format(_marker(postgres)), (since,))
    changed: dict[int, int] = {}
    for key, mask in cursor.fetchall():
        changed[key] = changed.get(key, 0) | mask
    return changed


class _Sorted:
    """Sorted keys and their masks, with a directory of where each run of keys sharing their top
    bits starts: keys are pseudo-random, so a run holds one or two keys, and finding a batch
    is a few vector steps with one or two memory reads per key, where a binary search over
    millions makes about 23 scattered ones."""

    __slots__ = ("keys", "masks", "shift", "starts")

    def __init__(self, keys: np.ndarray, masks: np.ndarray) -> None:
        self.keys, self.masks = keys, masks
        bits = max(4, min(24, int(len(keys)).bit_length() - 1))
        self.shift = 64 - bits
        runs = (keys >> self.shift) + (1 << (bits - 1))  # top bits, from 0 in signed order
        counts = np.bincount(runs, minlength=1 << bits)
        self.starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int32 if len(keys) < 2**31 else np.int64)

    def masks_of(self, keys: np.ndarray) -> np.ndarray:
        """The mask of each of ``keys`` (0 where absent)."""
        result = np.zeros(len(keys), np.int32)
        if len(self.keys) == 0 or len(keys) == 0:
            return result
        run = (keys >> self.shift) + (len(self.starts) >> 1)
        position, end = self.starts[run], self.starts[run + 1]
        pending = np.flatnonzero(position < end)
        while len(pending):
            at = position[pending]
            found = self.keys[at] == keys[pending]
            result[pending[found]] = self.masks[at[found]]
            position[pending] += 1
            still = ~found & (position[pending] < end[pending])
            pending = pending[still]
        return result


class _State:
    """One immutable view of the index: main arrays plus a small sorted overlay that overrides them."""

    __slots__ = ("version", "main", "overlay", "overlay_keys", "overlay_masks")

    def __init__(self, version: int, main: _Sorted, overlay: dict[int, int]) -> None:
        self.version, self.main, self.overlay = version, main, overlay
        if overlay:
            self.overlay_keys, self.overlay_masks = _ordered(overlay)
        else:
            self.overlay_keys = self.overlay_masks = None

    def with_changes(self, version: int, changed: dict[int, int]) -> _State:
        overlay = {**self.overlay, **changed}
        if len(overlay) < MERGE_AFTER:
            return _State(version, self.main, overlay)
        return _State(version, _Sorted(*_merge(self.main.keys, self.main.masks, overlay)), {})


def _merge(keys: np.ndarray, masks: np.ndarray, overlay: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    new_keys = np.fromiter(overlay.keys(), np.int64, len(overlay))
    new_masks = np.fromiter(overlay.values(), np.int32, len(overlay))
    keep = ~np.isin(keys, new_keys)
    keys = np.concatenate((keys[keep], new_keys))
    masks = np.concatenate((masks[keep], new_masks))
    live = masks != 0
    return _combine(keys[live], masks[live])


def _ordered(changes: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A key -> mask mapping as two arrays sorted by key."""
    keys = np.fromiter(changes.keys(), np.int64, len(changes))
    masks = np.fromiter(changes.values(), np.int32, len(changes))
    order = np.argsort(keys)
    return keys[order], masks[order]


def _override(masks: np.ndarray, keys: np.ndarray, ordered_keys: np.ndarray, ordered_masks: np.ndarray) -> np.ndarray:
    """``masks`` (one per key of ``keys``) where each key found in the non-empty sorted
    ``ordered_keys`` takes the mask it has there, 0 included (a withdrawal)."""
    positions = np.searchsorted(ordered_keys, keys)
    np.minimum(positions, len(ordered_keys) - 1, out=positions)
    found = ordered_keys[positions] == keys
    return np.where(found, ordered_masks[positions], masks)


class MembershipIndex:
    """The opposed lookup keys of one database, kept in this process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._state: _State | None = None
        self.loads = 0  # full loads so far (the tests read it)

    @property
    def version(self) -> int | None:
        state = self._state
        return None if state is None else state.version

    def candidates(self, driver_connection, keys: np.ndarray, bit: int) -> np.ndarray:
        """Positions in ``keys`` that may be opposed for ``bit``, as of the caller's transaction
        on ``driver_connection``: every opposition it can see is among them (the caller
        confirms them)."""
        cursor = driver_connection.cursor()
        try:
            seen = _scalar(cursor, _VERSION_SQL)
            state = self._current(seen)
            masks = state.main.masks_of(keys)
            if state.overlay_keys is not None:
                masks = _override(masks, keys, state.overlay_keys, state.overlay_masks)
            if state.version < seen:  # the caller sees changes not committed yet (its own)
                local = _changes(cursor, self.postgres, state.version)
                if local:
                    masks = _override(masks, keys, *_ordered(local))
        finally:
            cursor.close()
        return np.flatnonzero(masks & bit)

    def _current(self, seen: int) -> _State:
        state = self._state
        if state is not None and state.version >= seen:
            return state
        with self._lock:
            state = self._state
            if state is not None and state.version >= seen:
                return state
            with self.engine.connect() as connection:
                cursor = connection.connection.driver_connection.cursor()
                mapped = cached = None
                try:
                    if not self.postgres:
                        # read the file rather than map it, through a small page cache: a full load
                        # touches the whole index once, and neither mapped pages nor a full cache
                        # should stay in this process's resident memory afterwards
                        mapped = _scalar(cursor, "PRAGMA mmap_size")
                        cached = _scalar(cursor, "PRAGMA cache_size")
                        cursor.execute("PRAGMA mmap_size=0")
                        cursor.execute("PRAGMA cache_size=-2048")
                    connection.exec_driver_sql("SELECT 1")  # starts the transaction (one snapshot on SQLite)
                    version = _scalar(cursor, _VERSION_SQL)
                    if state is None or version - state.version > RELOAD_AFTER:
                        state = self._load(connection.connection.driver_connection, version)
                    elif version > state.version:
                        state = state.with_changes(version, _changes(cursor, self.postgres, state.version))
                finally:
                    connection.rollback()
                    if mapped:
                        cursor.execute(f"PRAGMA mmap_size={int(mapped)}")
                    if cached is not None:
                        cursor.execute(f"PRAGMA cache_size={int(cached)}")
                    cursor.close()
            self._state = state
            return state

    def _load(self, driver_connection, version: int) -> _State:
        """Everything, read after the version: the rows are at least as new as ``version``.
        Streamed in slices (a server-side cursor on PostgreSQL, whose driver would otherwise
        hold the whole result in memory at once)."""
        key_parts, mask_parts = [], []
        cursor = driver_connection.cursor(name="membership_load") if self.postgres else driver_connection.cursor()
        try:
            cursor.execute(_LOAD_SQL)
            while rows := cursor.fetchmany(_FETCH):
                key_parts.append(np.fromiter((r[0] for r in rows), np.int64, len(rows)))
                mask_parts.append(np.fromiter((r[1] for r in rows), np.int32, len(rows)))
                del rows
        finally:
            cursor.close()
        keys = np.concatenate(key_parts) if key_parts else np.zeros(0, np.int64)
        masks = np.concatenate(mask_parts) if mask_parts else np.zeros(0, np.int32)
        self.loads += 1
        return _State(version, _Sorted(*_combine(keys, masks)), {})

    def preload(self) -> None:
        """Load now (at a worker's start) rather than on the first lookup."""
        self._current(0)


_indexes: dict[str, MembershipIndex] = {}
_indexes_lock = threading.Lock()


def membership_index(engine: Engine) -> MembershipIndex:
    """This process's index for the database behind ``engine`` (one per database URL). It reads
    through the engine it was last asked with: after a fork, the child's own engine."""
    key = engine.url.render_as_string(hide_password=True)
    index = _indexes.get(key)
    if index is None:
        with _indexes_lock:
            index = _indexes.setdefault(key, MembershipIndex(engine))
    index.engine = engine
    return index


def forget_indexes() -> None:
    """Drop every index of this process (tests; a process about to serve another database)."""
    with _indexes_lock:
        _indexes.clear()
