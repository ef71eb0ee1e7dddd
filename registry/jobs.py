"""Bulk cohort jobs: a whole cohort file checked in the background, streamed from disk to disk.

A warehouse uploads a file of identifiers (one a line, an optional header); the web layer
streams it to ``<root>/<job id>/input.txt`` and a task queue runs ``run_job``. The job reads the
file in chunks of ``CHUNK_LINES``, checks each chunk with ``lookup_batch``, appends the usable
identifiers to ``cleaned.csv`` and the invalid lines to ``invalid.csv``, then commits its
position (input offset, output sizes, counts) with a heartbeat. A job killed half-way resumes
from the last committed chunk: outputs are cut back to the committed sizes first, so no line is
written twice. Memory stays at one chunk whatever the file size.

The files hold identifiers, so they live only until ``expires_at``: ``purge_expired_jobs``
deletes them and keeps the row (counts, no identifier) for the record. The job is its own unit
of work, like a view or a command: it commits after each chunk.
"""

from __future__ import annotations

import collections
import csv
import multiprocessing
import datetime as dt
import io
import os
import shutil
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, BigInteger, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from registry.audit import record_event
from registry.db import write_turn
from registry.keyring import Keyring
from registry.lookups import lookup_batch
from registry.models import Base, UTCDateTime, utcnow
from registry.purposes import Purpose, purposes_of
from registry.membership import membership_index
from registry.transparency import record_applications

CHUNK_LINES = 10_000
LEASE = dt.timedelta(minutes=2)
INPUT, CLEANED, INVALID = "input.txt", "cleaned.csv", "invalid.csv"
CLEANED_HEADER = b"line,identifier\n"
INVALID_HEADER = b"line,identifier,reason\n"


class LookupJob(Base):
    """A cohort file checked in the background; its state lives here, its lines in files."""

    __tablename__ = "lookup_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    purpose_bit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed, expired
    input_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    lines_done: Mapped[int] = mapped_column(BigInteger, default=0)
    kept: Mapped[int] = mapped_column(BigInteger, default=0)
    opposed: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid: Mapped[int] = mapped_column(BigInteger, default=0)
    cleaned_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    header_seen: Mapped[int] = mapped_column(Integer, default=0)  # 0 not yet known, 1 none, 2 skipped
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
    input_bytes: int, retention: dt.timedelta,
) -> LookupJob:
    """Record a job whose input file is already on disk, ready to be queued."""
    now = utcnow()
    job = LookupJob(public_id=public_id, warehouse_id=warehouse_id, purpose_bit=purpose.bit, status="queued",
                    input_bytes=input_bytes, created_at=now, expires_at=now + retention)
    session.add(job)
    session.flush()
    record_event(session, action="api.job_created", actor=f"warehouse:{client_id}", target=public_id,
                 details={"purpose": purpose.code, "bytes": input_bytes})
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


def _claim(session: Session, job_id: int, now: dt.datetime) -> RunOutcome | None:
    """Take the job for this worker, or say why not. A running job whose heartbeat is older than
    ``LEASE`` belongs to a dead worker and is taken over."""
    job = session.get(LookupJob, job_id)
    if job is None or job.status not in ("queued", "running"):
        return RunOutcome(job.status if job else "missing")
    if job.status == "running" and job.heartbeat_at and now - job.heartbeat_at < LEASE:
        return RunOutcome("running", retry_in=LEASE - (now - job.heartbeat_at))
    unchanged = (LookupJob.heartbeat_at.is_(None) if job.heartbeat_at is None
                 else LookupJob.heartbeat_at == job.heartbeat_at)
    claimed = session.execute(
        update(LookupJob).where(LookupJob.id == job_id, LookupJob.status == job.status, unchanged)
        .values(status="running", heartbeat_at=now, started_at=job.started_at or now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return None if claimed == 1 else RunOutcome("running", retry_in=LEASE)


def run_job(
    sessions: sessionmaker, keyring: Keyring, job_id: int, root: Path, *,
    chunk_lines: int = CHUNK_LINES, processes: int = 1, stop_after_chunks: int | None = None,
    now: dt.datetime | None = None,
) -> RunOutcome:
    """Run (or resume) a job to its end, checking chunks in ``processes`` processes (results are
    still written and committed in input order). ``stop_after_chunks`` stops after that many
    chunks as a killed worker would, leaving the job ``running``; ``now`` stands for the clock
    when claiming."""
    with sessions() as session:
        with write_turn(session):
            refused = _claim(session, job_id, now or utcnow())
        if refused is not None:
            return refused
        job = session.get(LookupJob, job_id)
        session.refresh(job)
        folder = job_folder(root, job)
        purpose = job.purpose
        session.commit()
        if job.header_seen == 0:
            with write_turn(session):
                job.header_seen = _header_kind(folder / INPUT)
                session.commit()
        skip_line = _first_line_number(folder / INPUT) if job.header_seen == 2 else None
        with open(folder / INPUT, "rb") as source, \
                _output(folder / CLEANED, job.cleaned_bytes, CLEANED_HEADER) as cleaned, \
                _output(folder / INVALID, job.invalid_bytes, INVALID_HEADER) as invalid, \
                _Checker(session, keyring, processes) as checker:
            source.seek(job.bytes_done)
            pieces = _read_pieces(source, chunk_lines, job.lines_done)
            for done, chunk in enumerate(checker.check(pieces, skip_line, purpose.bit)):
                if stop_after_chunks is not None and done >= stop_after_chunks:
                    return RunOutcome("running")
                cleaned.write(chunk.kept_text)
                invalid.write(chunk.invalid_text)
                cleaned.flush()
                invalid.flush()
                os.fsync(cleaned.fileno())
                os.fsync(invalid.fileno())
                session.commit()  # ends any read; the chunk's records are written in one short turn
                with write_turn(session):
                    if chunk.opposed_digests:
                        record_applications(session, job.warehouse_id, chunk.opposed_digests, purpose)
                    job.lines_done += chunk.lines
                    job.kept += chunk.kept
                    job.opposed += len(chunk.opposed_digests)
                    job.invalid += chunk.invalid
                    job.bytes_done += chunk.size
                    job.cleaned_bytes, job.invalid_bytes = cleaned.tell(), invalid.tell()
                    job.heartbeat_at = utcnow()
                    session.commit()
        session.commit()
        with write_turn(session):
            job.status, job.finished_at = "done", utcnow()
            record_event(session, action="api.job_finished", actor=f"warehouse_id:{job.warehouse_id}",
                         target=job.public_id,
                         details={"purpose": purpose.code, "lines": job.lines_done, "kept": job.kept,
                                  "opposed": job.opposed, "invalid": job.invalid})
            session.commit()
        (folder / INPUT).unlink(missing_ok=True)  # only the results are needed from now on
        return RunOutcome("done")


_BYTES_PER_LINE = 16  # readlines() stops past chunk_lines * this: a 15-character number and its newline


def _clean(raw: bytes) -> str:
    return raw.strip().decode("utf-8", "replace").strip('"').strip()


def _header_kind(path: Path) -> int:
    """1 when the file has no header, 2 when its first non-blank line (no digit in it) is one."""
    with open(path, "rb") as source:
        for raw in source:
            value = _clean(raw)
            if value:
                return 1 if any(c.isdigit() for c in value) else 2
    return 1


def _first_line_number(path: Path) -> int:
    with open(path, "rb") as source:
        for number, raw in enumerate(source, start=1):
            if _clean(raw):
                return number
    return 0


def _read_pieces(source, chunk_lines: int, first_line: int):
    """(lines, number of the line before them) for each chunk, read as they are needed."""
    line_no = first_line
    while raw_lines := source.readlines(chunk_lines * _BYTES_PER_LINE):
        yield raw_lines, line_no
        line_no += len(raw_lines)


class _output:
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
class _Chunk:
    lines: int
    size: int
    kept: int
    invalid: int
    kept_text: bytes
    invalid_text: bytes
    opposed_digests: list[bytes]


def _check_lines(session, keyring, raw_lines: list[bytes], line_no: int, skip_line: int | None,
                 purpose_bit: int) -> _Chunk:
    """Check one chunk (reads only): the outputs' text and the counts, for the caller to record."""
    purpose = purposes_of(purpose_bit)[0]
    numbers, values = [], []
    first = line_no
    for raw in raw_lines:
        line_no += 1
        value = _clean(raw)
        if value and line_no != skip_line:
            numbers.append(line_no)
            values.append(value)
    answer = lookup_batch(session, keyring, values, purpose)
    kept_lines, opposed_count, bad = [], 0, io.StringIO()
    bad_writer = csv.writer(bad, lineterminator="\n")
    for number, value, opposed, error in zip(numbers, values, answer.opposed, answer.errors):
        if error is not None:
            bad_writer.writerow((number, value, error))
        elif opposed:
            opposed_count += 1
        else:
            kept_lines.append(f"{number},{value}\n")  # a valid identifier holds no comma or quote
    session.rollback()  # nothing was written; end the read so writers are not held back
    return _Chunk(line_no - first, sum(map(len, raw_lines)), len(kept_lines),
                  len(values) - len(kept_lines) - opposed_count,
                  "".join(kept_lines).encode("utf-8"), bad.getvalue().encode("utf-8"), answer.opposed_digests)


_child: dict = {}


def _child_start(url: str, keyring: Keyring) -> None:
    from registry.db import create_database_engine

    _child["session"] = Session(create_database_engine(url))
    _child["keyring"] = keyring


def _child_check(raw_lines, line_no, skip_line, purpose_bit) -> _Chunk:
    return _check_lines(_child["session"], _child["keyring"], raw_lines, line_no, skip_line, purpose_bit)


class _Checker:
    """Checks chunks in this process, or in forked worker processes (each with its own database
    connection) while keeping the answers in input order and at most two chunks per process in
    flight, so memory stays bounded."""

    def __init__(self, session: Session, keyring: Keyring, processes: int) -> None:
        self.session, self.keyring, self.processes = session, keyring, processes
        self.pool = None

    def __enter__(self):
        if self.processes > 1:
            # the children inherit this process's membership index instead of each loading it
            membership_index(self.session.get_bind().engine).preload()
            url = self.session.get_bind().url.render_as_string(hide_password=False)
            self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_child_start, initargs=(url, self.keyring))
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def check(self, pieces, skip_line, purpose_bit):
        if self.pool is None:
            for raw_lines, line_no in pieces:
                yield _check_lines(self.session, self.keyring, raw_lines, line_no, skip_line, purpose_bit)
            return
        pending = collections.deque()
        for raw_lines, line_no in pieces:
            pending.append(self.pool.submit(_child_check, raw_lines, line_no, skip_line, purpose_bit))
            if len(pending) >= 2 * self.processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def purge_expired_jobs(session: Session, root: Path, *, now: dt.datetime | None = None) -> int:
    """Delete the files of every job past its retention and mark it ``expired``; the row keeps
    its counts and no identifier. Returns how many jobs were purged."""
    moment = now or utcnow()
    jobs = session.scalars(select(LookupJob).where(LookupJob.expires_at <= moment, LookupJob.status != "expired"))
    count = 0
    for job in jobs:
        shutil.rmtree(job_folder(root, job), ignore_errors=True)
        job.status = "expired"
        count += 1
    session.flush()
    if count:
        record_event(session, action="api.jobs_purged", actor="system", details={"jobs": count})
    return count
