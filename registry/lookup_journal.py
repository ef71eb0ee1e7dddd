"""A local append-only journal of the lookups' records, so that a node killed outright loses none.

``registry.lookup_records`` gathers each process's lookup counts and transparency sightings in
memory and writes them in groups. Before a lookup is answered its record is also appended, as one
line, to this process's journal file (``<folder>/<uuid>.jsonl``); the file is held under an
exclusive ``flock`` for as long as the process lives. When a group is written, the files it
covers are *sealed* (a new file takes the appends), their names are inserted in
``lookup_journal_batches`` in the same transaction as the records, and they are deleted once that
transaction has committed.

A process killed with ``kill -9`` leaves its files behind, unlocked: the kernel releases a dead
process's locks. Any later process of the node (``replay_orphans``: the restarted worker, a
sibling's writer thread) takes the lock of each unlocked file, writes its lines unless its name
is already in ``lookup_journal_batches`` (the owner died between its commit and the deletion),
and deletes it. The lock makes two replayers skip each other; the batch table makes a replay
idempotent.

An append is one ``write(2)`` on an ``O_APPEND`` descriptor: it survives the death of the process
(the kernel holds it). With ``sync`` each append is also ``fsync``-ed and survives the machine's
crash, at the cost measured in ``bench/api_throughput.py``. A torn last line (the machine died
mid-write) is skipped. The lines hold keyed hashes and counts, never an identifier.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Base, UTCDateTime, utcnow

SUFFIX = ".jsonl"
KEEP_BATCH_NAMES = dt.timedelta(days=30)


class JournalBatch(Base):
    """A journal file whose records are in the database (its name, so a replay skips it)."""

    __tablename__ = "lookup_journal_batches"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class JournalEntry:
    """One lookup call's record, as appended and replayed."""

    client_id: str
    warehouse_id: int
    purpose: str
    identifiers: int
    invalid: int
    opposed_digests: list[bytes]
    moment: dt.datetime
    permit_id: int | None = None  # the data permit the lookup served (``registry.permits``)
    exception: bool = False  # under that permit's exception: the oppositions were set aside

    def line(self) -> bytes:
        data = {"c": self.client_id, "w": self.warehouse_id, "p": self.purpose,
                "n": self.identifiers, "i": self.invalid,
                "d": [digest.hex() for digest in self.opposed_digests],
                "t": self.moment.isoformat()}
        if self.permit_id is not None:
            data["q"], data["x"] = self.permit_id, self.exception
        return orjson.dumps(data) + b"\n"

    @classmethod
    def parse(cls, line: bytes) -> JournalEntry:
        data = orjson.loads(line)
        return cls(client_id=str(data["c"]), warehouse_id=int(data["w"]), purpose=str(data["p"]),
                   identifiers=int(data["n"]), invalid=int(data["i"]),
                   opposed_digests=[bytes.fromhex(digest) for digest in data["d"]],
                   moment=dt.datetime.fromisoformat(data["t"]),
                   permit_id=data.get("q"), exception=bool(data.get("x")))


class _File:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


class LookupJournal:
    """This process's journal files in ``folder``: the open one and those sealed, not yet deleted.
    Not thread-safe on its own: ``LookupRecorder`` calls it under its lock."""

    def __init__(self, folder: Path, *, sync: bool = False) -> None:
        self.folder = Path(folder)
        self.sync = sync
        self._pid: int | None = None
        self._open: _File | None = None
        self._sealed: list[_File] = []

    def append(self, entry: JournalEntry) -> None:
        current = self._current()
        os.write(current.fd, entry.line())
        if self.sync:
            os.fsync(current.fd)

    def seal(self) -> list[str]:
        """Close the open file to appends (the next append opens another) and return the names
        of every file not yet deleted: the records gathered in memory are exactly theirs."""
        if self._pid == os.getpid() and self._open is not None:
            self._sealed.append(self._open)
            self._open = None
        return [file.path.name for file in self._sealed]

    def written(self, names: list[str]) -> None:
        """The records of the files ``names`` are committed: delete the files."""
        done = set(names)
        for file in [file for file in self._sealed if file.path.name in done]:
            file.delete()
        self._sealed = [file for file in self._sealed if file.path.name not in done]

    def _current(self) -> _File:
        if self._pid != os.getpid():  # a forked child: its parent's files and locks are not its own
            self._pid, self._open, self._sealed = os.getpid(), None, []
        if self._open is None:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._open = _File(self.folder / f"{uuid.uuid4().hex}{SUFFIX}")
        return self._open


def already_written(session: Session, name: str) -> bool:
    return session.get(JournalBatch, name) is not None


def mark_written(session: Session, names: list[str]) -> None:
    session.add_all(JournalBatch(name=name) for name in names)


def forget_old_batches(session: Session, *, now: dt.datetime | None = None) -> None:
    session.execute(delete(JournalBatch).where(JournalBatch.written_at < (now or utcnow()) - KEEP_BATCH_NAMES))


class Orphan:
    """A journal file left by a dead process, locked by its replayer while it is read and written."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    @property
    def name(self) -> str:
        return self.path.name

    def entries(self) -> Iterator[JournalEntry]:
        with open(self.path, "rb") as source:
            for line in source:
                try:
                    yield JournalEntry.parse(line)
                except (ValueError, KeyError, TypeError):  # a torn last line: the machine died mid-write
                    continue

    def done(self) -> None:
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        os.close(self._fd)


def orphans(folder: Path) -> Iterator[Orphan]:
    """The journal files in ``folder`` that no living process holds, each locked for its caller
    (who must call ``done`` or ``release``)."""
    try:
        paths = sorted(Path(folder).glob(f"*{SUFFIX}"))
    except OSError:
        return
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # replayed meanwhile by another process
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its process is alive, or another replayer has it
            os.close(fd)
            continue
        if not path.exists():  # replayed and deleted between the listing and the lock
            os.close(fd)
            continue
        yield Orphan(path, fd)
