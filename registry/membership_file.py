"""The membership index's snapshot file: one copy per machine, mapped read-only by every process.

A snapshot holds what ``registry.membership`` searches: the sorted 8-byte lookup keys (already
keyed hashes, never an identifier), their purpose masks and the directory of where each run of
keys starts. Its header names the format, the database it was read from (``identity``, so two
databases never share a file), the ``opposition_versions`` id it is current to with a digest of
that version's row (``anchor``: a database restored to another history does not match), the
array lengths, and a CRC of the whole. A snapshot is written under a temporary name, flushed to
disk and renamed over the old one (``os.replace``, atomic), so a reader maps either the old file
or the new one, never half of one. Processes that mapped the old file keep it until they remap;
the kernel frees it after the last one lets go.

Whoever rebuilds takes the lock file first (``fcntl.flock``), so two processes never rebuild at
once; the lock goes with the process if it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 1
MAGIC = b"RNOMEMBR"
HEADER_SIZE = 4096  # the arrays start on a page of their own
# magic, format, bytes per mask, bytes per directory entry, identity, anchor, version, keys, shift, directory entries
_HEADER = struct.Struct("<8sIII32s32sqqqq")
_CRC = struct.Struct("<I")
TEMPORARY_SUFFIX = ".tmp"  # a snapshot being written: ``.membership-<database>-<random>.tmp``


@dataclass(frozen=True)
class Snapshot:
    """A mapped snapshot: read-only arrays over the file's pages, shared with the other processes."""

    version: int
    anchor: bytes
    keys: np.ndarray
    masks: np.ndarray
    shift: int
    starts: np.ndarray
    inode: tuple[int, int]


def _aligned(size: int) -> int:
    return (size + 7) & ~7


def _layout(count: int, mask_bytes: int, entries: int, start_bytes: int) -> tuple[int, int, int]:
    """Where the masks and the directory start, and the file's total size."""
    masks_at = HEADER_SIZE + 8 * count
    starts_at = _aligned(masks_at + mask_bytes * count)
    return masks_at, starts_at, starts_at + start_bytes * entries


class SnapshotFile:
    """The snapshot of one database in ``directory``. Raises ``OSError`` when the directory
    cannot be created or written: the caller then keeps its arrays to itself."""

    def __init__(self, directory: str | os.PathLike, identity: bytes) -> None:
        self.directory = Path(directory)
        self.identity = identity
        name = identity.hex()[:32]
        self.path = self.directory / f"membership-{name}.idx"
        self.lock_path = self.directory / f"membership-{name}.lock"
        self._temporary_prefix = f".membership-{name}-"
        self.directory.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600))
        with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".probe-"):
            pass  # a read-only disk refuses this

    def inode(self) -> tuple[int, int] | None:
        """The file now at ``path`` (a rebuild puts a new one there), None when there is none."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def read(self) -> Snapshot | None:
        """The snapshot now at ``path``, mapped; None when there is none, or it is not whole, not
        of this format or of another database."""
        try:
            with open(self.path, "rb") as source:
                status = os.fstat(source.fileno())
                if status.st_size < HEADER_SIZE:
                    return None
                mapped = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        except (FileNotFoundError, ValueError):
            return None
        header = _HEADER.unpack_from(mapped, 0)
        magic, version_format, mask_bytes, start_bytes, identity, anchor, version, count, shift, entries = header
        if magic != MAGIC or version_format != FORMAT or identity != self.identity:
            return None
        if mask_bytes not in (1, 4) or start_bytes not in (4, 8) or min(count, entries) < 0 or not 0 < shift < 64:
            return None
        masks_at, starts_at, size = _layout(count, mask_bytes, entries, start_bytes)
        if size != len(mapped):
            return None
        (crc,) = _CRC.unpack_from(mapped, _HEADER.size)
        if zlib.crc32(memoryview(mapped)[HEADER_SIZE:], zlib.crc32(mapped[: _HEADER.size])) != crc:
            return None
        keys = np.frombuffer(mapped, np.int64, count, HEADER_SIZE)
        masks = np.frombuffer(mapped, np.uint8 if mask_bytes == 1 else np.int32, count, masks_at)
        starts = np.frombuffer(mapped, np.int32 if start_bytes == 4 else np.int64, entries, starts_at)
        return Snapshot(version, anchor, keys, masks, shift, starts, (status.st_dev, status.st_ino))

    def write(self, version: int, anchor: bytes, keys: np.ndarray, masks: np.ndarray, shift: int,
              starts: np.ndarray) -> None:
        """Put a new snapshot in place of the old one, whole or not at all. The caller holds the
        rebuild lock (``lock``), so a temporary file of this database already in the folder was
        left by a writer that died: it is removed first."""
        self._remove_abandoned()
        masks = masks.astype(np.uint8) if len(masks) == 0 or int(masks.max()) < 256 else masks.astype(np.int32)
        starts = np.ascontiguousarray(starts)
        keys = np.ascontiguousarray(keys, np.int64)
        header = _HEADER.pack(MAGIC, FORMAT, masks.itemsize, starts.itemsize, self.identity, anchor, version,
                              len(keys), shift, len(starts))
        masks_at, starts_at, _ = _layout(len(keys), masks.itemsize, len(starts), starts.itemsize)
        gap = bytes(starts_at - masks_at - masks.nbytes)
        parts = (keys, masks, gap, starts)
        crc = zlib.crc32(header)
        for part in parts:
            crc = zlib.crc32(memoryview(part).cast("B"), crc)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=self._temporary_prefix, suffix=TEMPORARY_SUFFIX)
        try:
            with os.fdopen(descriptor, "wb") as target:
                target.write(header + _CRC.pack(crc) + bytes(HEADER_SIZE - _HEADER.size - _CRC.size))
                for part in parts:
                    target.write(memoryview(part).cast("B"))
                target.flush()
                os.fsync(target.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _remove_abandoned(self) -> None:
        for left in self.directory.glob(self._temporary_prefix + "*" + TEMPORARY_SUFFIX):
            with contextlib.suppress(FileNotFoundError):
                left.unlink()

    @contextlib.contextmanager
    def lock(self, wait: bool):
        """Hold the rebuild lock; yields False at once when ``wait`` is False and another process
        holds it."""
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(descriptor)  # releases the lock


def version_anchor(cursor, postgres: bool, version: int) -> bytes:
    """A digest of the version row ``version`` (no identifier in it): a snapshot of another
    history of the database does not match it."""
    marker = "%s" if postgres else "?"
    cursor.execute(f"SELECT subject_id, receipt_reference FROM opposition_versions WHERE id = {marker}", (version,))
    row = cursor.fetchone()
    return hashlib.sha256(repr((version, None if row is None else tuple(row))).encode()).digest()


def database_identity(engine, cursor, postgres: bool) -> bytes | None:
    """What tells this database from any other one, None for a database in memory."""
    url = engine.url
    if postgres:
        cursor.execute("SELECT current_database(), oid, inet_server_addr()::text, inet_server_port() "
                       "FROM pg_database WHERE datname = current_database()")
        parts = ("postgresql", url.host, url.port, *cursor.fetchone())
    else:
        if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
            return None
        status = os.stat(url.database)
        parts = ("sqlite", os.path.realpath(url.database), status.st_dev, status.st_ino)
    return hashlib.sha256(repr(parts).encode()).digest()
