"""Pooled PostgreSQL connections: checked only after sitting idle, replaced when the server
closed them, and never handed out again once broken in use. The same for the API's kept reader
connections (``KeptConnections``), which a forked process also leaves to its parent."""

import os

import pytest

import registry.db
from registry.db import DriverConnection, KeptConnections, create_database_engine

pytestmark = pytest.mark.db


@pytest.fixture
def postgres_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the pool's liveness checks concern PostgreSQL (SQLite has no server to lose)")
    return database_url


def backend_pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def terminate(url, pid) -> None:
    admin = create_database_engine(url)
    with admin.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_terminate_backend(%s)", (pid,)).scalar() is True
    admin.dispose()


def test_an_idle_connection_closed_by_the_server_is_replaced_at_checkout(postgres_url, monkeypatch):
    engine = create_database_engine(postgres_url, pool_size=1, max_overflow=0)
    with engine.connect() as connection:
        first = backend_pid(connection)
    terminate(postgres_url, first)
    monkeypatch.setattr(registry.db, "PING_AFTER_IDLE", 0)  # the connection counts as having slept
    with engine.connect() as connection:
        second = backend_pid(connection)
    assert second != first
    engine.dispose()


def test_a_connection_in_use_a_moment_ago_is_handed_out_without_a_ping(postgres_url):
    """The price of skipping the ping: a connection lost within the idle delay fails its next
    statement once, is invalidated, and the following checkout gets a new one."""
    from sqlalchemy.exc import OperationalError

    engine = create_database_engine(postgres_url, pool_size=1, max_overflow=0)
    with engine.connect() as connection:
        first = backend_pid(connection)
    terminate(postgres_url, first)
    with pytest.raises(OperationalError), engine.connect() as connection:
        backend_pid(connection)  # not pinged at checkout: it was checked in a moment ago
    with engine.connect() as connection:
        assert backend_pid(connection) != first
    engine.dispose()


def test_a_driver_connection_broken_in_use_is_not_returned_to_the_pool(postgres_url):
    engine = create_database_engine(postgres_url, pool_size=1, max_overflow=0)
    reader = DriverConnection(engine)
    cursor = reader.driver_connection.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    (first,) = cursor.fetchone()
    terminate(postgres_url, first)
    with pytest.raises(Exception):
        cursor.execute("SELECT 1")
    reader.close()
    with engine.connect() as connection:
        assert backend_pid(connection) != first
    engine.dispose()


def reader_pid(reader: DriverConnection) -> int:
    return reader.driver_connection.execute("SELECT pg_backend_pid()").fetchone()[0]


@pytest.fixture
def kept(postgres_url):
    engine = create_database_engine(postgres_url, pool_size=2, max_overflow=0)
    connections = KeptConnections(engine)
    yield connections
    connections.close()
    engine.dispose()


def test_a_kept_connection_is_reused_and_replaced_once_the_server_closed_it(kept, postgres_url, monkeypatch):
    reader = kept.take()
    first = reader_pid(reader)
    kept.give_back(reader)
    reader = kept.take()
    assert reader_pid(reader) == first, "handed out again without going back to the pool"
    kept.give_back(reader)
    terminate(postgres_url, first)
    monkeypatch.setattr(registry.db, "PING_AFTER_IDLE", 0)  # it counts as having slept: pinged
    reader = kept.take()
    assert reader_pid(reader) != first
    kept.give_back(reader)


def test_a_kept_connection_broken_in_use_is_not_kept(kept, postgres_url):
    reader = kept.take()
    first = reader_pid(reader)
    terminate(postgres_url, first)
    with pytest.raises(Exception):
        reader_pid(reader)
    kept.give_back(reader)
    reader = kept.take()
    assert reader_pid(reader) != first
    kept.give_back(reader)


def test_a_forked_process_opens_its_own_and_leaves_its_parents_alone(kept):
    reader = kept.take()
    parent = reader_pid(reader)
    kept.give_back(reader)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report the backend it reads through, then leave at once
        status = 1
        try:
            reader = kept.take()
            os.write(write_end, str(reader_pid(reader)).encode())
            kept.give_back(reader)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    seen = os.read(read_end, 32)
    os.close(read_end)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert int(seen) != parent
    reader = kept.take()
    assert reader_pid(reader) == parent, "the parent's session is untouched and still its own"
    kept.give_back(reader)


def test_a_lookup_on_a_connection_lost_meanwhile_fails_once_then_a_new_one_answers(kept, postgres_url, keyring):
    from psycopg import OperationalError

    from registry.lookups import lookup_with_token
    from registry.purposes import Purpose

    reader = kept.take()
    first = reader_pid(reader)
    kept.give_back(reader)
    terminate(postgres_url, first)
    reader = kept.take()  # given back a moment ago: handed out without a ping
    with pytest.raises(OperationalError):
        lookup_with_token(reader, "some-token", keyring, ["x"], Purpose.AI)
    kept.give_back(reader)
    reader = kept.take()
    assert reader_pid(reader) != first
    assert lookup_with_token(reader, "some-token", keyring, ["x"], Purpose.AI) == (None, None)
    kept.give_back(reader)
