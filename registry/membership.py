"""An in-process membership index of the opposed lookup keys, checked before the database.

A batch lookup spends most of its database time probing the index for identifiers that are not
opposed (most of them). Each process keeps instead a sorted numpy array of the ``lookup_key`` of
every subject whose opposition is in force, with the purpose mask beside it: a whole batch is
searched at once with ``np.searchsorted``, and only the candidates (a minority) go to the
database, which confirms them on the full digest in the caller's transaction. 10 million
oppositions take about 120 MB (8-byte keys, 1-byte masks and the directory of ``_Sorted``).

One copy per machine: given a directory (``share_in``, from ``REGISTRE_MEMBERSHIP_DIR``), the
arrays live in a snapshot file there (``registry.membership_file``) that every process maps
read-only, so the kernel keeps one copy of their pages for all of them. Each process keeps only
an overlay of the changes newer than the file. When that overlay passes ``MERGE_AFTER`` entries,
or the file is more than ``RELOAD_AFTER`` versions behind (or missing, damaged, of another
database), one process, holding the file's lock, writes a new snapshot (merged from the file and
its overlay, or read again from the database) and swaps it in atomically; the others see the new
file at their next lookup (its inode changed) and map it, then apply the changes since its
version. Where the directory cannot be written, each process keeps its own arrays, as without one.

Freshness: an opposition committed before a lookup starts is always seen by it. ``version`` is
the highest ``opposition_versions.id``; every change to a subject's opposition writes a version
in the same transaction, and versions become visible in id order (SQLite has one writer at a
time; on PostgreSQL ``registry.oppositions`` takes the audit chain's lock before numbering a
version, which it holds until commit). Each lookup reads the version in its own transaction
first; when it is newer than the index, the index applies the changes since (the subjects
changed by newer versions, with every subject sharing their keys, so a shared key keeps the
union of their masks), or reloads when there are many. A snapshot file is current to the
version in its header, and its process applies the changes since in the same way. The index is read and refreshed through
a connection of its own, so it only ever holds committed data; when the caller's transaction
sees versions the index does not (its own uncommitted writes), those changes are read through
the caller's transaction for that lookup only.

Withdrawals and changes of purpose arrive the same way; and since every candidate is confirmed
in the database, an index that is briefly ahead of or behind on a withdrawal never changes an
answer.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from registry.membership_file import SnapshotFile, database_identity, version_anchor

logger = logging.getLogger(__name__)

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

    def __init__(self, keys: np.ndarray, masks: np.ndarray, shift: int | None = None,
                 starts: np.ndarray | None = None) -> None:
        self.keys, self.masks = keys, masks
        if starts is not None:  # read from a snapshot file along with the keys
            self.shift, self.starts = shift, starts
            return
        bits = max(4, min(24, int(len(keys)).bit_length() - 1))
        self.shift = 64 - bits
        self.starts = _run_starts(keys, self.shift, bits)

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


def _run_starts(keys: np.ndarray, shift: int, bits: int) -> np.ndarray:
    """Where each run of the sorted ``keys`` sharing their top ``bits`` begins, the end last.
    Counted a slice of keys at a time straight into the result, so that at 10 M keys building
    it holds that one array (64 MB) and not three full-width temporaries of 128 MB each."""
    starts = np.zeros((1 << bits) + 1, np.int32 if len(keys) < 2**31 else np.int64)
    for at in range(0, len(keys), _FETCH):
        runs = (keys[at:at + _FETCH] >> shift) + (1 << (bits - 1))  # top bits, from 0 in signed order
        first = int(runs[0])  # sorted: the slice's runs are one range
        counts = np.bincount(runs - first)
        starts[first + 1:first + 1 + len(counts)] += counts.astype(starts.dtype)
    np.cumsum(starts, out=starts)
    return starts


class _State:
    """One immutable view of the index: main arrays plus a small sorted overlay that overrides them.
    ``source`` is the snapshot file the main arrays are mapped from (None: they are this process's)."""

    __slots__ = ("version", "main", "overlay", "overlay_keys", "overlay_masks", "source")

    def __init__(self, version: int, main: _Sorted, overlay: dict[int, int],
                 source: tuple[int, int] | None = None) -> None:
        self.version, self.main, self.overlay, self.source = version, main, overlay, source
        if overlay:
            self.overlay_keys, self.overlay_masks = _ordered(overlay)
        else:
            self.overlay_keys = self.overlay_masks = None

    def with_changes(self, version: int, changed: dict[int, int], merge: bool = True) -> _State:
        """The view after ``changed``; merged into new main arrays of this process past
        ``MERGE_AFTER`` unless ``merge`` is False (the shared file is rebuilt instead)."""
        overlay = {**self.overlay, **changed}
        if len(overlay) < MERGE_AFTER or not merge:
            return _State(version, self.main, overlay, self.source)
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
    """The opposed lookup keys of one database: mapped from this machine's snapshot file when
    ``directory`` is given and writable, else kept in this process."""

    def __init__(self, engine: Engine, directory: str | os.PathLike | None = None) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.directory = directory or None
        self._store: SnapshotFile | None = None  # set at the first refresh when the file can be shared
        self._lock = threading.Lock()
        self._state: _State | None = None
        self.loads = 0  # full loads from the database so far (the tests read it)

    @property
    def version(self) -> int | None:
        state = self._state
        return None if state is None else state.version

    @property
    def shared_path(self) -> Path | None:
        """The snapshot file this process maps, None while its arrays are its own."""
        state = self._state
        return None if state is None or state.source is None or self._store is None else self._store.path

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

    def _fresh(self, state: _State | None, seen: int) -> bool:
        """Whether ``state`` can answer a transaction that sees version ``seen``: new enough, and
        still mapped from the file in place (another process may have put a newer one there)."""
        if state is None or state.version < seen:
            return False
        store = self._store
        return state.source is None or store is None or store.inode() == state.source

    def _current(self, seen: int) -> _State:
        state = self._state
        if self._fresh(state, seen):
            return state
        with self._lock:
            state = self._state
            if self._fresh(state, seen):
                return state
            with self.engine.connect() as connection:
                driver = connection.connection.driver_connection
                cursor = driver.cursor()
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
                    store = self._shared_store(cursor)
                    if store is None:
                        state = self._refreshed(state, driver, cursor, version)
                    else:
                        state = self._refreshed_shared(store, state, driver, cursor, version)
                finally:
                    connection.rollback()
                    if mapped:
                        cursor.execute(f"PRAGMA mmap_size={int(mapped)}")
                    if cached is not None:
                        cursor.execute(f"PRAGMA cache_size={int(cached)}")
                    cursor.close()
            self._state = state
            return state

    def _refreshed(self, state: _State | None, driver, cursor, version: int) -> _State:
        """This process's own arrays, brought to ``version``."""
        if state is None or version - state.version > RELOAD_AFTER:
            return _State(version, self._load(driver), {})
        if version > state.version:
            return state.with_changes(version, _changes(cursor, self.postgres, state.version))
        return state

    def _refreshed_shared(self, store: SnapshotFile, state: _State | None, driver, cursor, version: int) -> _State:
        """The snapshot file's arrays plus this process's overlay, brought to ``version``. The
        file is rebuilt from the database when there is none (or it is not valid) or it is far
        behind, and from itself and the overlay when the overlay has grown past ``MERGE_AFTER``."""
        if state is None or state.source is None or store.inode() != state.source:
            state = self._mapped(store, cursor, version)
        if state is None or version - state.version > RELOAD_AFTER:
            with store.lock(wait=True):  # the others wait for this one's file rather than load too
                state = self._mapped(store, cursor, version)
                if state is None or version - state.version > RELOAD_AFTER:
                    return self._published(store, cursor, version, self._load(driver))
        if version > state.version:
            state = state.with_changes(version, _changes(cursor, self.postgres, state.version), merge=False)
        if len(state.overlay) < MERGE_AFTER:
            return state
        with store.lock(wait=False) as locked:
            if not locked:  # another process is rebuilding: keep the overlay until its file is in place
                return state
            newer = self._mapped(store, cursor, version) if store.inode() != state.source else None
            if newer is not None:  # rebuilt by another process since: map that one
                return newer.with_changes(version, _changes(cursor, self.postgres, newer.version), merge=False)
            merged = _Sorted(*_merge(state.main.keys, state.main.masks, state.overlay))
            return self._published(store, cursor, state.version, merged)

    def _mapped(self, store: SnapshotFile, cursor, version: int) -> _State | None:
        """The snapshot now in place, if it is whole and of this database's history."""
        snapshot = store.read()
        if snapshot is None:
            return None
        if snapshot.version <= version and snapshot.anchor != version_anchor(cursor, self.postgres, snapshot.version):
            return None  # the database was restored to another history since
        main = _Sorted(snapshot.keys, snapshot.masks, snapshot.shift, snapshot.starts)
        return _State(snapshot.version, main, {}, snapshot.inode)

    def _published(self, store: SnapshotFile, cursor, version: int, main: _Sorted) -> _State:
        """``main`` written as the snapshot of ``version`` and mapped back; kept in this process
        when the file cannot be written."""
        try:
            store.write(version, version_anchor(cursor, self.postgres, version), main.keys, main.masks, main.shift,
                        main.starts)
        except OSError as error:
            self._unshared(error)
            return _State(version, main, {})
        return self._mapped(store, cursor, version) or _State(version, main, {})

    def _shared_store(self, cursor) -> SnapshotFile | None:
        """The snapshot file, opened at the first refresh; None for private arrays."""
        if self._store is None and self.directory is not None:
            try:
                identity = database_identity(self.engine, cursor, self.postgres)
                if identity is None:
                    self.directory = None  # a database in memory: nothing to share
                    return None
                self._store = SnapshotFile(self.directory, identity)
            except OSError as error:
                self._unshared(error)
        return self._store

    def _unshared(self, error: OSError) -> None:
        """Keep this process's arrays to itself from now on, and say so once per directory."""
        if self.directory not in _warned:
            _warned.add(self.directory)
            logger.warning("membership index: cannot write its shared file in %s (%s); this process keeps "
                           "its own copy", self.directory, type(error).__name__)
        self.directory = self._store = None

    def _load(self, driver_connection) -> _Sorted:
        """Everything, read after the version: the rows are at least as new as it.
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
        return _Sorted(*_combine(keys, masks))

    def preload(self) -> None:
        """Load now (at a worker's start) rather than on the first lookup."""
        self._current(0)


_indexes: dict[str, MembershipIndex] = {}
_indexes_lock = threading.Lock()
_warned: set = set()
_directory: str | None = None


def share_in(directory: str | os.PathLike | None) -> None:
    """Where the indexes this process makes from now on keep their snapshot file, shared with the
    other processes of the machine (``REGISTRE_MEMBERSHIP_DIR``); None or "" keeps each
    process's arrays to itself."""
    global _directory
    _directory = os.fspath(directory) if directory else None


def membership_index(engine: Engine) -> MembershipIndex:
    """This process's index for the database behind ``engine`` (one per database URL). It reads
    through the engine it was last asked with: after a fork, the child's own engine."""
    key = engine.url.render_as_string(hide_password=True)
    index = _indexes.get(key)
    if index is None:
        with _indexes_lock:
            index = _indexes.setdefault(key, MembershipIndex(engine, _directory))
    index.engine = engine
    return index


def forget_indexes() -> None:
    """Drop every index of this process (tests; a process about to serve another database)."""
    with _indexes_lock:
        _indexes.clear()
