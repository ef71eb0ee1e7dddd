"""Engines and schema migrations, the same for the web app, the CLI, the tests and the benchmarks.

SQLite is the embedded default (WAL, foreign keys, a busy timeout, and real BEGIN statements so
that savepoints and rollbacks behave as on PostgreSQL). PostgreSQL is reached through psycopg 3.
Alembic migrations are the only way the schema is built.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_WRITE_OPTION = "sqlite_begin_immediate"


def begin_write(session) -> None:
    """Start the session's next transaction as a writer (``BEGIN IMMEDIATE`` on SQLite; nothing
    special elsewhere). Call it before the first statement of a transaction that will write."""
    session.connection(execution_options={SQLITE_WRITE_OPTION: True})


@contextlib.contextmanager
def write_turn(session):
    """Wait for this process's turn to write, then start the write transaction (``begin_write``).

    On SQLite, writers from several processes (gunicorn workers, the job worker) queue on an
    advisory file lock beside the database, which hands over as soon as it is released; SQLite's
    own busy handler sleeps up to 100 ms between tries, which under load costs far more than the
    write. The caller commits inside the block. On PostgreSQL this only starts the transaction.
    """
    url = session.get_bind().url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        begin_write(session)
        yield
        return
    with open(f"{url.database}.write-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            begin_write(session)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def unit_of_work(session):
    """The one way to write: end the reads made so far, wait for the write turn (``write_turn``),
    run the block as one write transaction and commit it; roll it back when the block raises.

    Every view, command and job writes through this (or ``write_with_retry``), so no path can
    forget the write turn; ``tests/test_architecture.py`` fails when anything else commits.
    """
    if session.in_transaction():
        session.commit()  # the reads made so far (who is signed in...): nothing to write yet
    try:
        with write_turn(session):
            yield session
            session.commit()
    except Abandon:
        session.rollback()
    except BaseException:
        session.rollback()
        raise


class Abandon(Exception):
    """Raised inside a ``unit_of_work`` to roll it back and carry on (a form with problems):
    the block ends there and nothing it wrote is kept."""


def write_with_retry(session, write, *, retry_on=(exc.IntegrityError,)):
    """Run ``write(session)`` in a unit of work and return its result; when a concurrent request
    won a race (a unique constraint: the same row created twice), run it once more in a new
    unit of work: it then finds what the other one wrote."""
    try:
        with unit_of_work(session):
            return write(session)
    except retry_on:
        with unit_of_work(session):
            return write(session)


def unavailable(error: BaseException) -> bool:
    """Whether ``error``, or an error that led to it, says the database cannot answer now (down,
    unreachable, connection lost, locked, pool exhausted): SQLAlchemy's, or a driver's raised
    straight from a raw connection (the API's hot reads)."""
    import sqlite3

    kinds = [exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError,
             sqlite3.OperationalError, sqlite3.InterfaceError]
    try:
        import psycopg

        kinds += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    seen, depth = error, 0
    while seen is not None and depth < 10:
        if isinstance(seen, tuple(kinds)) or _lost_connection(seen):
            return True
        seen, depth = seen.__cause__ or seen.__context__, depth + 1
    return False


def _lost_connection(error: BaseException) -> bool:
    """A driver error about the connection rather than the statement: SQLAlchemy saw the
    connection invalidated, or psycopg raised without a server SQLSTATE (the server never
    answered) or with a connection or shutdown one (classes 08 and 57P)."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if isinstance(error, psycopg.Error):
        state = getattr(error, "sqlstate", None)
        return state is None or state.startswith(("08", "57P"))
    return False


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (as ``DATABASE_URL`` usually gives them)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_database_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``. Statement parameters never appear in its errors (a failed insert
    of a staff account would otherwise print the password hash and the TOTP secret)."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def create_reader_engine(url: str, engine: Engine) -> Engine:
    """The engine of the API's hot reads (``DriverConnection``) beside the app's ``engine``.

    On PostgreSQL its sessions plan each prepared statement once (``plan_cache_mode =
    force_generic_plan``). These reads are a few indexed statements run thousands of times a
    second; psycopg prepares them, but PostgreSQL would go on making a custom plan at every run,
    because the generic plan of ``lookup_key = ANY($1)`` is costed for an array of 10 and the
    custom one for the 1 to 31 keys actually sent. Making that plan took longer than running it:
    half of the server's time per single lookup. The rest of the app keeps PostgreSQL's default.
    On SQLite (no planning cost worth a setting) it is ``engine`` itself.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return create_database_engine(url, connect_args={"options": "-c plan_cache_mode=force_generic_plan"})


PING_AFTER_IDLE = 1.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before handing it out only when it sat idle for a while.

    ``pool_pre_ping`` costs a round trip on every checkout, which on the API's single lookups is
    a third of the requests' round trips. A connection that was in use a moment ago is alive;
    one that slept may have been closed by the server (restart, idle timeout), so it is pinged,
    and replaced when the ping fails. A connection that breaks while in use is invalidated by
    SQLAlchemy (or by ``DriverConnection``) and never handed out again.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        last = record.info.get("checked_in_at")
        if last is None or time.monotonic() - last < PING_AFTER_IDLE:
            return
        if not _answers_ping(dbapi_connection):
            raise exc.DisconnectionError("the pooled connection did not answer")


def _answers_ping(dbapi_connection) -> bool:
    """Whether the server still answers on this connection (``SELECT 1``), leaving no
    transaction open behind the ping."""
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        if not getattr(dbapi_connection, "autocommit", True):
            dbapi_connection.rollback()
    except Exception:
        return False
    return True


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling breaks savepoints).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A page cache big enough for the interior pages of the lookup index (a few MB for
        # millions of people), per connection. The file is read, not mapped: lookups probe the
        # database only for the membership index's candidates (``registry.membership``), and
        # mapped pages would add up in each server process's resident memory.
        cursor.execute("PRAGMA cache_size=-16384")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A transaction that reads then writes (the audit chain reads its last event first) must
        # take the write lock up front, or a concurrent writer makes its write fail at once.
        immediate = connection.get_execution_options().get(SQLITE_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_database(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (every head by default: the chain is linear today, and
    a migration written on a parallel branch still applies until it is chained)."""
    command.upgrade(alembic_config(engine), revision)


class DriverConnection:
    """A pooled driver connection for the API's hot reads, without SQLAlchemy's per-statement
    and per-transaction machinery (which costs more than the reads themselves).

    Each statement is its own read transaction (autocommit: the connection is used for reads
    only, and PostgreSQL is spared a BEGIN and a ROLLBACK per request).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect_name = engine.dialect.name
        self._pooled = engine.raw_connection()
        self.driver_connection = self._pooled.driver_connection
        self._postgres = self.dialect_name == "postgresql"
        self.released_at = time.monotonic()
        if self._postgres:  # SQLite connections are in autocommit mode already (``_configure_sqlite``)
            self.driver_connection.autocommit = True

    @property
    def prepared_statements(self) -> set[bytes]:
        """The names of the statements this session (the physical connection) has prepared."""
        return self._pooled.info.setdefault("registre_prepared", set())

    @property
    def broken(self) -> bool:
        """Lost while in use (psycopg marks it); such a connection is never used again."""
        connection = self.driver_connection
        return bool(getattr(connection, "broken", False) or getattr(connection, "closed", False))

    def alive(self) -> bool:
        """Fit to be handed out again: not broken, and, after sitting idle ``PING_AFTER_IDLE``,
        answering a ping (the server may have closed it meanwhile)."""
        if self.broken:
            return False
        if not self._postgres or time.monotonic() - self.released_at < PING_AFTER_IDLE:
            return True
        return _answers_ping(self.driver_connection)

    def close(self) -> None:
        if self.broken:  # lost while in use: never handed out again
            self._pooled.invalidate()
            return
        try:
            if self._postgres:
                self.driver_connection.autocommit = False  # as the pool hands connections out
        finally:
            self._pooled.close()  # back to the pool, which rolls back anything left open


class KeptConnections:
    """Driver connections kept open between requests, for the API's hot reads.

    Taking a connection out of SQLAlchemy's pool and giving it back (pool events, the reset,
    switching autocommit on and off) cost a loaded API process more than the single lookup's
    own statement (measured with ``bench/api_throughput.py``, part (b)). The connections here
    stay checked out of that pool, in autocommit, between requests, and are reused last in,
    first out. One that sat idle ``PING_AFTER_IDLE`` is pinged before it is handed out again
    and replaced when the ping fails; one broken in use is invalidated; beyond ``keep`` idle
    ones, the rest go back to the pool. After a fork, the child leaves its parent's connections
    alone (using or closing them would disturb the parent's sessions) and opens its own.
    """

    def __init__(self, engine: Engine, keep: int = 4) -> None:
        self.engine, self.keep = engine, keep
        self._idle: collections.deque[DriverConnection] = collections.deque()
        self._pid = os.getpid()
        self._inherited: list[DriverConnection] = []

    def take(self) -> DriverConnection:
        if self._pid != os.getpid():
            self._inherited.extend(self._idle)  # referenced, so never finalised here
            self._idle, self._pid = collections.deque(), os.getpid()
        while True:
            try:
                reader = self._idle.pop()
            except IndexError:
                return DriverConnection(self.engine)
            if reader.alive():
                return reader
            reader.close()

    def give_back(self, reader: DriverConnection) -> None:
        if reader.broken or len(self._idle) >= self.keep or self._pid != os.getpid():
            reader.close()
            return
        reader.released_at = time.monotonic()
        self._idle.append(reader)

    def close(self) -> None:
        """Return every idle connection to the pool (before the engine is disposed)."""
        while self._idle:
            self._idle.pop().close()


def driver_connection(source) -> tuple[object, Engine]:
    """(driver connection, engine) of a session or a ``DriverConnection``, for raw queries."""
    if isinstance(source, DriverConnection):
        return source.driver_connection, source.engine
    connection = source.connection()
    return connection.connection.driver_connection, connection.engine
