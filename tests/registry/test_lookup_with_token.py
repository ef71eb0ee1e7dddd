"""A lookup and its token check together (``lookup_with_token``): on PostgreSQL a small batch is
checked in the token check's own statement; whatever the path, the answers are those of the token
check followed by ``lookup_batch``, and a refused token gets no answer at all."""

import pytest
from sqlalchemy.orm import Session

from registry.db import DriverConnection, create_database_engine, create_reader_engine
from registry.identifiers import parse_identifier
from registry.lookups import DIRECT_BELOW, lookup_batch, lookup_with_token
from registry.oppositions import file_opposition
from registry.purposes import Purpose
from registry.warehouses import create_warehouse, disable_warehouse, get_warehouse, store_token
from tests.registry.nir_factory import make_nir, spaced

pytestmark = pytest.mark.db

OPPOSED = make_nir(2, 85, 2, "2A", "004", 123)
AI_ONLY = make_nir(2, 90, 6, "75", "056", 78)
NOT_FILED = make_nir(1, 78, 11, "99", "350", 45)

SMALL = [spaced(OPPOSED), "not a number", NOT_FILED, AI_ONLY, OPPOSED[:-2] + "00", OPPOSED]
LARGE = SMALL + [NOT_FILED] * DIRECT_BELOW
ALL_INVALID = ["", "x" * 15]


@pytest.fixture
def reader(database_url, keyring):
    """A reader connection on a database holding two oppositions and the tokens of three
    warehouses: one active, one whose token expired, one disabled."""
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        file_opposition(session, keyring, parse_identifier(OPPOSED))
        file_opposition(session, keyring, parse_identifier(AI_ONLY), [Purpose.AI])
        active = create_warehouse(session, "CHU de Test", scope="lookup jobs")
        store_token(session, get_warehouse(session, active.client_id), "good-token", "lookup jobs", 900)
        expired = create_warehouse(session, "EDS ancien", scope="lookup")
        store_token(session, get_warehouse(session, expired.client_id), "expired-token", "lookup", -60)
        disabled = create_warehouse(session, "EDS fermé", scope="lookup")
        store_token(session, get_warehouse(session, disabled.client_id), "disabled-token", "lookup", 900)
        disable_warehouse(session, disabled.client_id)
        session.commit()
    readers = create_reader_engine(database_url, engine)
    connection = DriverConnection(readers)
    connection.client_id = active.client_id
    yield connection
    connection.close()
    readers.dispose()
    engine.dispose()


@pytest.mark.parametrize("identifiers", [SMALL, LARGE, ALL_INVALID], ids=["small batch", "large batch", "no valid one"])
@pytest.mark.parametrize("purpose", [Purpose.RESEARCH, Purpose.AI])
def test_the_answers_are_those_of_a_token_check_then_a_lookup(reader, keyring, identifiers, purpose):
    client, answer = lookup_with_token(reader, "good-token", keyring, identifiers, purpose)
    expected = lookup_batch(reader, keyring, identifiers, purpose)
    assert (client.client_id, client.name, client.scopes) == (reader.client_id, "CHU de Test",
                                                              frozenset({"lookup", "jobs"}))
    assert list(answer) == list(expected)
    assert answer.opposed_digests == expected.opposed_digests


def test_the_answers_name_the_opposed_identifiers(reader, keyring):
    _, research = lookup_with_token(reader, "good-token", keyring, SMALL, Purpose.RESEARCH)
    _, ai = lookup_with_token(reader, "good-token", keyring, SMALL, Purpose.AI)
    assert [(r.opposed, r.error) for r in research] == [
        (True, None), (None, "length"), (False, None), (False, None), (None, "checksum"), (True, None)]
    assert [r.opposed for r in ai] == [True, None, False, True, None, True]
    assert research.opposed_digests == [keyring.hasher.digest(OPPOSED)] * 2


@pytest.mark.parametrize("token", ["unknown-token", "expired-token", "disabled-token"])
@pytest.mark.parametrize("identifiers", [SMALL, LARGE], ids=["small batch", "large batch"])
def test_a_refused_token_gets_no_answer(reader, keyring, token, identifiers):
    assert lookup_with_token(reader, token, keyring, identifiers, Purpose.RESEARCH) == (None, None)


def test_a_connection_taken_again_from_the_pool_keeps_answering(database_url, keyring, reader):
    """The statement is prepared once per server session, whichever wrapper uses the session."""
    readers = create_database_engine(database_url, pool_size=1, max_overflow=0)
    try:
        answers = []
        for _ in range(3):
            connection = DriverConnection(readers)
            answers.append(lookup_with_token(connection, "good-token", keyring, [OPPOSED], Purpose.RESEARCH)[1])
            connection.close()
        assert [[r.opposed for r in answer] for answer in answers] == [[True]] * 3
    finally:
        readers.dispose()


def test_only_the_readers_plan_their_statements_once(database_url):
    """On PostgreSQL the reader engine's sessions keep one generic plan per prepared statement;
    the app's own engine keeps the server's default. SQLite has a single engine."""
    engine = create_database_engine(database_url)
    readers = create_reader_engine(database_url, engine)
    try:
        if engine.dialect.name != "postgresql":
            assert readers is engine
            return
        with engine.connect() as app_connection, readers.connect() as reader_connection:
            assert app_connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"
            assert reader_connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
    finally:
        readers.dispose()
        engine.dispose()
