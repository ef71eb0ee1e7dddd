"""Bulk cohort jobs: a whole cohort file checked in the background, streamed from disk to disk.

A warehouse uploads a file of identifiers (one a line, an optional header); the web layer
streams it to ``<root>/<job id>/input.txt`` and a task queue runs ``run_job``. The job reads the
file in chunks of ``CHUNK_LINES``, checks each chunk with ``lookup_batch``, appends one result
row per checked line to ``results.csv``, and every ``CHECKPOINT_LINES`` lines makes those rows
durable and commits its position (input offset, results size, counts) with a heartbeat. A job
killed half-way resumes from the last checkpoint: the results file is cut back to its committed
size first, so no line is written twice. Memory stays at a few chunks whatever the file size.

The result format (``results.csv``, served by ``GET /api/v1/jobs/{id}/result``), stable::

    line,status,reason
    2,not_opposed,
    3,opposed,
    5,invalid,checksum

* ``line``: the line's number in the uploaded file, counting from 1 (the header, when there is
  one, is line 1). One row per checked line, in input order; the header and blank lines get
  none.
* ``status``: ``not_opposed`` (the identifier is valid and may be used for the purpose),
  ``opposed`` (it may not) or ``invalid`` (not a valid identifier).
* ``reason``: for ``invalid``, the identifier error code (``length``, ``format``, ``sex``,
  ``month``, ``department``, ``commune``, ``country``, ``order``, ``checksum``: the keys of
  ``registry.identifiers.REASONS``, as ``POST /api/v1/lookup`` gives them); for ``opposed``
  under a data permit with a public-interest exception, ``exception`` (the person may be
  included under it: the job's ``permit`` and ``exception`` say which); empty otherwise.

The results hold no identifier. The warehouse rebuilds its cleaned cohort and its report of
invalid lines from its own copy of the file (``registre-check`` does). The upload itself holds
identifiers, so it is kept only while the job needs it (a resumption reads it again): it is
deleted as soon as the job is ``done`` or ``failed``, and a worker that stopped between recording
the end and deleting it leaves it to ``discard_finished_inputs`` (run when a worker starts and by
the hourly purge). ``purge_expired_jobs`` deletes the results at ``expires_at`` and keeps the row
(counts, no identifier) for the record.

``run_job`` is the worker's entry point and the only function here that ends a transaction,
as a view or a command does: the claim, each checkpoint (the records of the chunks since the
last one and the position past them, committed once their result rows are on disk), the end
and a failure are each one ``unit_of_work`` of its own. The other functions take the session and only flush.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import itertools
import logging
import multiprocessing
import datetime as dt
import os
import re
import shutil
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, BigInteger, String, exc, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker

from registry.audit import record_event, warehouse_actor
from registry.db import unit_of_work
from registry.keyring import Keyring
from registry.lookups import lookup_batch
from registry.models import Base, UTCDateTime, utcnow
from registry.purposes import Purpose, purposes_of
from registry.membership import membership_index
from registry.permits import Permit
from registry.transparency import record_applications, record_permit_sightings
from registry.warehouses import Warehouse

logger = logging.getLogger(__name__)

CHUNK_LINES = 10_000
# lines checked between two checkpoints: each costs a sync of the results file and a commit (on
# SQLite, 13 to 17 ms with the chunk's transparency records), which at one per chunk made the
# worker's writing loop, not the checking, the job's bottleneck
CHECKPOINT_LINES = 100_000
IN_FLIGHT = 16  # chunks handed to worker processes and not yet written (each about 160 kB of upload)
LEASE = dt.timedelta(minutes=2)
INPUT, RESULTS = "input.txt", "results.csv"
RESULTS_HEADER = b"line,status,reason\n"
NOT_OPPOSED, OPPOSED, INVALID = "not_opposed", "opposed", "invalid"
STATUSES = (NOT_OPPOSED, OPPOSED, INVALID)
EXCEPTION = "exception"  # the reason of an opposed line under a permit's exception
FINISHED = ("done", "failed")


class Header(enum.IntEnum):
    """What a job knows of its upload's first line (``LookupJob.header_seen`` stores the number)."""

    UNKNOWN = 0  # not looked at yet
    NONE = 1  # the file starts with data: every line is checked
    SKIPPED = 2  # its first non-blank line has no digit: a header, given no result row


class LookupJob(Base):
    """A cohort file checked in the background; its state lives here, its lines in files."""

    __tablename__ = "lookup_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    purpose_bit: Mapped[int] = mapped_column(Integer)
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("permits.id"))  # the data permit it serves
    permit: Mapped[Permit | None] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed, expired
    input_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    lines_done: Mapped[int] = mapped_column(BigInteger, default=0)
    kept: Mapped[int] = mapped_column(BigInteger, default=0)
    opposed: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid: Mapped[int] = mapped_column(BigInteger, default=0)
    # the committed size of results.csv (the column kept its name from the two-file format)
    results_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    header_seen: Mapped[int] = mapped_column(Integer, default=Header.UNKNOWN)  # a ``Header``
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    @property
    def purpose(self) -> Purpose:
        return purposes_of(self.purpose_bit)[0]

    @property
    def progress(self) -> float:
        if self.status in ("done", "expired"):
            return 1.0
        return round(self.bytes_done / self.input_bytes, 4) if self.input_bytes else 0.0

    def __repr__(self) -> str:
        return f"LookupJob(public_id={self.public_id!r}, status={self.status!r})"


class JobNotFound(LookupError):
    """No job with this id belongs to this warehouse (another warehouse's job is not found either)."""

    code = "job_not_found"


@dataclass(frozen=True)
class RunOutcome:
    """What ``run_job`` did: finished, stopped early, or found the job held by a live worker."""

    status: str
    retry_in: dt.timedelta | None = None


def job_folder(root: Path, job: LookupJob) -> Path:
    return Path(root) / job.public_id


def new_job_folder(root: Path) -> tuple[str, Path]:
    """A fresh id and its empty folder, where the upload is streamed before the job exists."""
    public_id = str(uuid.uuid4())
    folder = Path(root) / public_id
    folder.mkdir(parents=True, mode=0o700)
    return public_id, folder


def create_job(
    session: Session, *, public_id: str, warehouse_id: int, client_id: str, purpose: Purpose,
    input_bytes: int, retention: dt.timedelta, permit_id: int | None = None,
) -> LookupJob:
    """Record a job whose input file is already on disk, ready to be queued; ``permit_id`` is
    the data permit it serves, already checked (``registry.permits.permit_grant``)."""
    now = utcnow()
    job = LookupJob(public_id=public_id, warehouse_id=warehouse_id, purpose_bit=purpose.bit, status="queued",
                    input_bytes=input_bytes, created_at=now, expires_at=now + retention, permit_id=permit_id)
    session.add(job)
    session.flush()
    details = {"purpose": purpose.code, "bytes": input_bytes}
    if permit_id is not None:
        details["permit_id"] = permit_id
    record_event(session, action="api.job_created", actor=warehouse_actor(client_id), target=public_id,
                 details=details)
    return job


def job_for_warehouse(session: Session, public_id: str, warehouse_id: int) -> LookupJob:
    """The job if it belongs to this warehouse; ``JobNotFound`` otherwise, so that a job's
    existence is not revealed to other warehouses."""
    job = session.scalars(select(LookupJob).where(LookupJob.public_id == public_id)).one_or_none()
    if job is None or job.warehouse_id != warehouse_id:
        raise JobNotFound()
    return job


def resumable_job_ids(session: Session) -> list[int]:
    """Jobs to put back on the queue when a worker starts: queued ones, and running ones whose
    worker may have died (``run_job`` leaves those alone while their heartbeat is fresh)."""
    return list(session.scalars(select(LookupJob.id).where(LookupJob.status.in_(("queued", "running")))
                                .order_by(LookupJob.id)))


def claim_job(session: Session, job_id: int, now: dt.datetime,
              lease: dt.timedelta = LEASE) -> tuple[RunOutcome | None, LookupJob | None]:
    """Take the job for this worker, or say why not. A running job whose heartbeat is older than
    ``lease`` belongs to a dead worker and is taken over."""
    job = session.get(LookupJob, job_id)
    if job is None or job.status not in ("queued", "running"):
        return RunOutcome(job.status if job else "missing"), job
    if job.status == "running" and job.heartbeat_at and now - job.heartbeat_at < lease:
        return RunOutcome("running", retry_in=lease - (now - job.heartbeat_at)), job
    unchanged = (LookupJob.heartbeat_at.is_(None) if job.heartbeat_at is None
                 else LookupJob.heartbeat_at == job.heartbeat_at)
    claimed = session.execute(
        update(LookupJob).where(LookupJob.id == job_id, LookupJob.status == job.status, unchanged)
        .values(status="running", heartbeat_at=now, started_at=job.started_at or now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return RunOutcome("running", retry_in=lease), job
    session.refresh(job)
    return None, job


def run_job(
    sessions: sessionmaker, keyring: Keyring, job_id: int, root: Path, *,
    chunk_lines: int = CHUNK_LINES, processes: int = 1, stop_after_chunks: int | None = None,
    checkpoint_lines: int = CHECKPOINT_LINES,
    now: dt.datetime | None = None, allow_test_identifiers: bool = True, lease: dt.timedelta = LEASE,
) -> RunOutcome:
    """Run (or resume) a job to its end, checking chunks in ``processes`` processes (results are
    still written and committed in input order), with a checkpoint every ``checkpoint_lines``.
    ``stop_after_chunks`` stops after that many chunks as a worker killed just after a checkpoint
    would, leaving the job ``running``; ``now`` stands for the clock when claiming.
    ``allow_test_identifiers`` False (production) reports demo and sandbox numbers as invalid
    (``test_identifier``), as the lookup API does. A job whose heartbeat (one
    per checkpoint) is older than ``lease`` is taken over: its worker died.

    The worker's entry point: it opens its own session and owns every transaction of the job
    (see the module's docstring). A job that cannot go on (its upload is missing or unreadable,
    a chunk cannot be checked) is marked ``failed`` and its files are deleted; the error's type
    is logged and audited, never its message. A database error is not the job's fault: it goes
    up, and the job, still ``running``, is taken over once its lease runs out (as after a
    crash)."""
    with sessions() as session:
        with unit_of_work(session):
            refused, job = claim_job(session, job_id, now or utcnow(), lease)
        if refused is not None:
            if job is not None and job.status in FINISHED:  # a task delivered again after the end
                _discard_upload(job_folder(root, job), job.status)
            return refused
        folder = job_folder(root, job)
        try:
            if job.header_seen == Header.UNKNOWN:
                header = _header_of(folder / INPUT)
                with unit_of_work(session):
                    job.header_seen = header
            excepted = job.permit is not None and job.permit.exception_reference is not None
            with _ResumedOutput(folder / RESULTS, job.results_bytes, RESULTS_HEADER) as results, \
                    contextlib.closing(checked_chunks(session, keyring, job, folder, chunk_lines, processes,
                                                      allow_test_identifiers, excepted)) as chunks:
                pending: list[CheckedChunk] = []  # written, not yet durable
                for done, chunk in enumerate(itertools.chain(chunks, [None])):  # None: the end
                    stopping = chunk is None or (stop_after_chunks is not None and done >= stop_after_chunks)
                    if not stopping:
                        results.write(chunk.results_text)
                        pending.append(chunk)
                    if pending and (stopping or sum(part.lines for part in pending) >= checkpoint_lines):
                        results.flush()
                        os.fsync(results.fileno())
                        with unit_of_work(session):  # the checkpoint, durable with the rows above
                            record_chunk(session, job, _merged(pending), results.tell(), excepted)
                        pending.clear()
                    if stopping and chunk is not None:
                        return RunOutcome("running")
            with unit_of_work(session):
                finish_job(session, job)
            _discard_upload(folder, "done")  # only the results are needed from now on
            return RunOutcome("done")
        except Exception as error:
            session.rollback()
            if _database_error(error):
                raise
            logger.error("cohort job %s failed: %s", job.public_id, type(error).__name__)
            with unit_of_work(session):
                fail_job(session, job, error)
            _discard_upload(folder, "failed")
            return RunOutcome("failed")


def _merged(chunks: list[CheckedChunk]) -> CheckedChunk:
    """Consecutive chunks as one, for a single checkpoint (their result rows are already written)."""
    return CheckedChunk(sum(c.lines for c in chunks), sum(c.size for c in chunks), sum(c.kept for c in chunks),
                        sum(c.invalid for c in chunks), b"", [d for c in chunks for d in c.opposed_digests])


def checked_chunks(session: Session, keyring: Keyring, job: LookupJob, folder: Path, chunk_lines: int,
                   processes: int, allow_test_identifiers: bool, excepted: bool):
    """The job's chunks from where it stopped, each checked (reads only), in input order."""
    skip_line = _first_line_number(folder / INPUT) if job.header_seen == Header.SKIPPED else None
    with open(folder / INPUT, "rb") as source, \
            _Checker(session, keyring, processes, allow_test_identifiers) as checker:
        source.seek(job.bytes_done)
        yield from checker.check(_read_pieces(source, chunk_lines, job.lines_done), skip_line, job.purpose_bit,
                                 excepted)


def record_chunk(session: Session, job: LookupJob, chunk: CheckedChunk, results_size: int, excepted: bool) -> None:
    """Note a checked chunk: the people found opposed (as applied, or under the job's permit), and
    the job's position past it, with a heartbeat."""
    purpose = job.purpose
    if chunk.opposed_digests and not excepted:
        record_applications(session, job.warehouse_id, chunk.opposed_digests, purpose)
    if chunk.opposed_digests and job.permit_id is not None:
        moment = utcnow()
        record_permit_sightings(session, job.warehouse_id, purpose, job.permit_id, excepted,
                                {digest: (moment, moment) for digest in chunk.opposed_digests})
    job.lines_done += chunk.lines
    job.kept += chunk.kept
    job.opposed += len(chunk.opposed_digests)
    job.invalid += chunk.invalid
    job.bytes_done += chunk.size
    job.results_bytes = results_size
    job.heartbeat_at = utcnow()


def finish_job(session: Session, job: LookupJob) -> None:
    """Record that the job checked its last line, with its counts."""
    job.status, job.finished_at = "done", utcnow()
    record_event(session, action="api.job_finished", actor=warehouse_actor(job.warehouse.client_id),
                 target=job.public_id,
                 details={"purpose": job.purpose.code, "lines": job.lines_done, "kept": job.kept,
                          "opposed": job.opposed, "invalid": job.invalid})


def _database_error(error: Exception) -> bool:
    """An error of the database or its driver (connection lost, lock timeout...), not of the job."""
    return isinstance(error, exc.SQLAlchemyError) or type(error).__module__.split(".")[0] in ("psycopg", "sqlite3")


def fail_job(session: Session, job: LookupJob, error: Exception) -> None:
    """Record that the job failed (by the error's type only: its message may quote the upload)."""
    job.status, job.finished_at = "failed", utcnow()
    record_event(session, action="api.job_failed", actor=warehouse_actor(job.warehouse.client_id),
                 target=job.public_id,
                 details={"purpose": job.purpose.code, "lines": job.lines_done, "error": type(error).__name__})


def _discard_upload(folder: Path, status: str) -> bool:
    """Delete a finished job's upload (and a failed job's partial results); True if anything went."""
    paths = [folder / INPUT] + ([folder / RESULTS] if status == "failed" else [])
    found = False
    for path in paths:
        try:
            path.unlink()
            found = True
        except FileNotFoundError:
            pass
    return found


def discard_finished_inputs(session: Session, root: Path) -> int:
    """Delete the upload left behind by any finished job (a worker stopped between recording the
    end and deleting it), so that no identifier outlives its job. Reads only; returns how many
    jobs had files deleted."""
    finished = session.scalars(select(LookupJob).where(LookupJob.status.in_(FINISHED)))
    return sum(_discard_upload(job_folder(root, job), job.status) for job in finished)


_BYTES_PER_LINE = 16  # a chunk is read as chunk_lines * this bytes: a 15-character number and its newline


def _clean(raw: bytes) -> str:
    return raw.strip().decode("utf-8", "replace").strip('"').strip()


def _header_of(path: Path) -> Header:
    """``SKIPPED`` when the file's first non-blank line (no digit in it) is a header, else ``NONE``."""
    with open(path, "rb") as source:
        for raw in source:
            value = _clean(raw)
            if value:
                return Header.NONE if any(c.isdigit() for c in value) else Header.SKIPPED
    return Header.NONE


def _first_line_number(path: Path) -> int:
    with open(path, "rb") as source:
        for number, raw in enumerate(source, start=1):
            if _clean(raw):
                return number
    return 0


def _read_pieces(source, chunk_lines: int, first_line: int):
    """(block of whole lines, number of the line before them) for each chunk, read as they are
    needed. A block is one bytes object, split into lines by whoever checks it: handing a worker
    process 10,000 separate lines cost the reading process more than its share of the work."""
    line_no = first_line
    while block := source.read(chunk_lines * _BYTES_PER_LINE):
        if not block.endswith(b"\n"):
            block += source.readline()  # up to the end of the line it stopped in
        yield block, line_no
        line_no += block.count(b"\n") + (not block.endswith(b"\n"))


# bytes that str.strip() removes and bytes.strip() keeps (file, group, record and unit separators)
_ODD_SPACE = re.compile(rb"[\x1c-\x1f]").search


def _lines_of(block: bytes) -> list[str]:
    """``_clean`` of each line of ``block`` (lines end at ``\\n``, as ``readlines`` splits them).
    A block of plain ASCII without quotes, the usual upload, is decoded and stripped whole:
    there ``_clean`` comes down to ``str.strip``, which then runs over the lines in C."""
    raw_lines = block.split(b"\n") if block else []
    if block.endswith(b"\n"):
        raw_lines.pop()
    if block.isascii() and b'"' not in block and not _ODD_SPACE(block):
        text_lines = block.decode("ascii").split("\n")
        del text_lines[len(raw_lines):]
        return list(map(str.strip, text_lines))
    return list(map(_clean, raw_lines))


class _ResumedOutput:
    """An output file opened for appending at its last committed size (cut back if longer)."""

    def __init__(self, path: Path, committed: int, header: bytes) -> None:
        self.path, self.committed, self.header = path, committed, header

    def __enter__(self):
        self.file = open(self.path, "r+b" if self.path.exists() else "w+b")
        self.file.truncate(self.committed)
        self.file.seek(self.committed)
        if self.committed == 0:
            self.file.write(self.header)
        return self.file

    def __exit__(self, *exc) -> None:
        self.file.close()


@dataclass(frozen=True)
class CheckedChunk:
    """One chunk's answer: its result rows and counts, and the people found opposed (digests)."""

    lines: int
    size: int
    kept: int
    invalid: int
    results_text: bytes
    opposed_digests: list[bytes]


def _check_lines(session, keyring, block: bytes, line_no: int, skip_line: int | None,
                 purpose_bit: int, allow_test_identifiers: bool = True, excepted: bool = False) -> CheckedChunk:
    """Check one chunk (reads only): its result rows and counts, for the caller to record."""
    purpose = purposes_of(purpose_bit)[0]
    values = _lines_of(block)
    first = line_no
    line_no += len(values)
    numbers = range(first + 1, line_no + 1)
    if not all(values) or first < (skip_line or 0) <= line_no:  # blank lines or the header: no row
        kept_lines = [bool(value) and number != skip_line for number, value in zip(numbers, values)]
        numbers, values = list(itertools.compress(numbers, kept_lines)), list(itertools.compress(values, kept_lines))
    answer = lookup_batch(session, keyring, values, purpose, allow_test_identifiers=allow_test_identifiers)
    endings = {True: f",{OPPOSED},{EXCEPTION if excepted else ''}\n", False: f",{NOT_OPPOSED},\n"}
    invalid = len(answer.errors) - answer.errors.count(None)
    if invalid:  # a reason code: letters and underscores only
        endings[None] = None
        tails = [endings[opposed] or f",{INVALID},{error}\n" for opposed, error in zip(answer.opposed, answer.errors)]
    else:
        tails = map(endings.__getitem__, answer.opposed)
    rows = "".join(map(str.__add__, map(str, numbers), tails))
    session.rollback()  # nothing was written; end the read so writers are not held back
    return CheckedChunk(line_no - first, len(block), answer.opposed.count(False), invalid, rows.encode("ascii"),
                        answer.opposed_digests)


_child: dict = {}


def _child_start(url: str, keyring: Keyring, allow_test_identifiers: bool) -> None:
    from registry.db import create_database_engine

    _child["session"] = Session(create_database_engine(url))
    _child["keyring"] = keyring
    _child["allow"] = allow_test_identifiers


def _child_check(block, line_no, skip_line, purpose_bit, excepted=False) -> CheckedChunk:
    return _check_lines(_child["session"], _child["keyring"], block, line_no, skip_line, purpose_bit,
                        _child["allow"], excepted)


class _Checker:
    """Checks chunks in this process, or in forked worker processes (each with its own database
    connection) while keeping the answers in input order and at most ``IN_FLIGHT`` chunks in
    flight, so memory stays bounded (a few MB): enough for the workers to go on checking while
    this process writes a checkpoint."""

    def __init__(self, session: Session, keyring: Keyring, processes: int, allow_test_identifiers: bool = True) -> None:
        self.session, self.keyring, self.processes = session, keyring, processes
        self.allow_test_identifiers = allow_test_identifiers
        self.pool = None

    def __enter__(self):
        if self.processes > 1:
            # the children inherit this process's membership index instead of each loading it
            membership_index(self.session.get_bind().engine).preload()
            url = self.session.get_bind().url.render_as_string(hide_password=False)
            self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_child_start,
                                            initargs=(url, self.keyring, self.allow_test_identifiers))
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def check(self, pieces, skip_line, purpose_bit, excepted=False):
        if self.pool is None:
            for block, line_no in pieces:
                yield _check_lines(self.session, self.keyring, block, line_no, skip_line, purpose_bit,
                                   self.allow_test_identifiers, excepted)
            return
        pending = collections.deque()
        for block, line_no in pieces:
            pending.append(self.pool.submit(_child_check, block, line_no, skip_line, purpose_bit, excepted))
            if len(pending) >= IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def purge_expired_jobs(session: Session, root: Path, *, now: dt.datetime | None = None) -> int:
    """Delete the files of every job past its retention and mark it ``expired``; the row keeps
    its counts and no identifier. Also deletes any upload a finished job left behind
    (``discard_finished_inputs``). Returns how many jobs were purged."""
    moment = now or utcnow()
    jobs = session.scalars(select(LookupJob).where(LookupJob.expires_at <= moment, LookupJob.status != "expired"))
    count = 0
    for job in jobs:
        shutil.rmtree(job_folder(root, job), ignore_errors=True)
        job.status = "expired"
        count += 1
    session.flush()
    discard_finished_inputs(session, root)
    if count:
        record_event(session, action="api.jobs_purged", actor="system", details={"jobs": count})
    return count
