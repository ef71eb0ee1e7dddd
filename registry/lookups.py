"""Checking identifiers against the registry: the hot path warehouses depend on.

For each identifier: normalise, validate (a bad one gets its reason and never fails the batch),
hash under the current key; then the process's membership index (``registry.membership``)
picks out the few candidates whose 8-byte key is opposed, and one query per chunk confirms them
on the full digest. The query goes through the raw driver: SQLAlchemy's per-statement cost is
2-3x the driver's on this path, and the statement is trivial.

Reads only, but never on an asynchronous replica: a lookup must see every opposition acknowledged
before it started, and a standby may not have applied it yet. Lookups read the primary (the
libpq URL's ``target_session_attrs=read-write``); see the README's "Production" section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import compress
from operator import itemgetter, not_
from typing import NamedTuple

import numpy as np
import psycopg
from psycopg import pq
from sqlalchemy.orm import Session

from registry.db import DriverConnection, driver_connection
from registry.identifier_batches import identifier_errors, normalise_many
from registry.keyring import Keyring
from registry.membership import membership_index
from registry.models import utcnow
from registry.permits import PermitGrant, grant_from_column, permit_column
from registry.purposes import Purpose
from registry.warehouses import AuthenticatedClient, authenticate_token, client_from_row, token_query

SQLITE_CHUNK = 10_000  # under SQLite's bound-parameter limit (32,766 since 3.32)
POSTGRES_CHUNK = 10_000
DIRECT_BELOW = 32  # smaller batches go straight to the database, without the membership index


class LookupResult(NamedTuple):
    """One answer: ``opposed`` for a valid identifier, ``error`` (a reason code) otherwise."""

    identifier: str
    opposed: bool | None = None
    error: str | None = None

    def __repr__(self) -> str:  # never print the identifier
        return f"LookupResult(opposed={self.opposed}, error={self.error})"


@dataclass(frozen=True)
class BatchAnswer:
    """The answers to one batch as parallel lists in input order.

    Columns rather than one object per identifier: a batch holds up to 10,000 identifiers and
    the serialiser reads the lists directly. ``opposed[i]`` is None where ``errors[i]`` is set.
    """

    identifiers: Sequence[str]
    opposed: list[bool | None]
    errors: list[str | None]
    opposed_digests: list[bytes] = field(default_factory=list, repr=False)  # in input order
    permit: PermitGrant | None = None  # the data permit the batch was checked under

    def __iter__(self) -> Iterator[LookupResult]:
        return map(LookupResult, self.identifiers, self.opposed, self.errors)

    def __len__(self) -> int:
        return len(self.identifiers)

    def __repr__(self) -> str:
        return f"BatchAnswer(size={len(self)}, opposed={self.opposed.count(True)})"


def opposed_digests(session: Session | DriverConnection, digests: Sequence[bytes], purpose: Purpose) -> set[bytes]:
    """The subset of ``digests`` whose current opposition covers ``purpose``.

    The process's membership index (``registry.membership``) narrows the batch to the candidates
    whose 8-byte key is opposed for the purpose; the database confirms them on the full digest,
    in the caller's transaction, through the covering index on ``lookup_key``. Batches of fewer
    than ``DIRECT_BELOW`` identifiers are checked in the database directly.
    """
    if not digests:
        return set()
    driver, engine = driver_connection(session)
    postgres = engine.dialect.name == "postgresql"
    if len(digests) < DIRECT_BELOW:  # a few probes of the database cost less than the index's fixed cost
        return _confirm(driver, postgres, _keys(digests), purpose, digests)
    keys = np.frombuffer(b"".join(digests), dtype=">i8").reshape(len(digests), 4)[:, 0].astype(np.int64)
    positions = membership_index(engine).candidates(driver, keys, purpose.bit)
    if len(positions) == 0:
        return set()
    return _confirm(driver, postgres, keys[positions].tolist(), purpose, digests)


def _confirm(driver, postgres: bool, keys: list[int], purpose: Purpose, digests: Sequence[bytes]) -> set[bytes]:
    """The digests among ``digests`` whose key is in ``keys`` and whose opposition covers the purpose."""
    cursor = driver.cursor()
    chunk = POSTGRES_CHUNK if postgres else SQLITE_CHUNK
    rows = []
    try:
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            if postgres:
                cursor.execute(_POSTGRES_SQL, (_array_literal(part), purpose.bit))
            else:
                cursor.execute(_SQLITE_SQL.format(",".join("?" * len(part))), [purpose.bit, *part])
            rows += cursor.fetchall()
    finally:
        cursor.close()
    # both drivers return bytes for blobs and bytea: no copy needed
    return set(map(itemgetter(0), rows)).intersection(digests)


_POSTGRES_SQL = "SELECT id_hash FROM subjects WHERE lookup_key = ANY(%s::bigint[]) AND opposed_purposes & %s <> 0"


def _array_literal(keys: list[int]) -> str:
    """The keys as PostgreSQL's text form of an array (``{1,-2,3}``), sent as one string and read
    by the server: psycopg's list adapter inspects and converts every element in Python, which
    costs 7 times as much (20 ms for 10,000 keys) and more than a single lookup's statement."""
    return "{" + ",".join(map(str, keys)) + "}"


_SQLITE_SQL = "SELECT id_hash FROM subjects WHERE opposed_purposes & ? <> 0 AND lookup_key IN ({})"


def lookup_batch(
    session: Session | DriverConnection, keyring: Keyring, identifiers: Sequence[str], purpose: Purpose,
    *, allow_test_identifiers: bool = True,
) -> BatchAnswer:
    """Answer every identifier of a batch, in input order; a bad one never fails the others.
    ``session`` is a session (the lookup reads in its transaction) or a ``DriverConnection``.
    Production passes ``allow_test_identifiers=False``: synthetic numbers get ``test_identifier``."""
    errors, digests = _validated(keyring, identifiers, allow_test_identifiers)
    return _answer(identifiers, errors, digests, opposed_digests(session, digests, purpose))


def lookup_with_token(
    connection: DriverConnection, access_token: str, keyring: Keyring, identifiers: Sequence[str], purpose: Purpose,
    *, allow_test_identifiers: bool = True, permit: str | None = None, today: dt.date | None = None,
) -> tuple[AuthenticatedClient | None, BatchAnswer | None]:
    """The client behind ``access_token`` and the answer to its batch, or (None, None) when the
    token is not valid (unknown, expired, or its client disabled).

    On PostgreSQL a batch of fewer than ``DIRECT_BELOW`` identifiers is checked in the token
    check's own statement: one round trip to the server instead of two (on a single lookup the
    round trip is the largest cost of the call). The answer of a refused token is never
    returned. Elsewhere (and for larger batches) the token is checked, then the batch.

    ``permit`` names the data permit the lookup serves: it is read in the token check's
    statement (``registry.permits.permit_column``), so a single lookup under a permit stays one
    round trip. A valid token with a permit it may not use raises ``PermitRefused`` (carrying the
    client, so that the caller can check its scope first); the answer is never computed for it.
    """
    today = today or utcnow().date()
    if connection.dialect_name != "postgresql" or len(identifiers) >= DIRECT_BELOW:
        client, grant = _client_and_grant(connection, access_token, permit, purpose, today)
        if client is None:
            return None, None
        answer = lookup_batch(connection, keyring, identifiers, purpose, allow_test_identifiers=allow_test_identifiers)
        return client, replace(answer, permit=grant) if grant else answer
    errors, digests = _validated(keyring, identifiers, allow_test_identifiers)
    row = _token_and_matches(connection, access_token, _keys(digests), purpose.bit, permit)
    if row is None:
        return None, None
    client = client_from_row(row)
    grant = grant_from_column(permit, row[5], purpose, today, client) if permit is not None else None
    matched = {bytes.fromhex(digest) for digest in row[4].split(",")} if row[4] else set()
    return client, _answer(identifiers, errors, digests, matched.intersection(digests), grant)


def _client_and_grant(connection: DriverConnection, access_token: str, permit: str | None, purpose: Purpose,
                      today: dt.date) -> tuple[AuthenticatedClient | None, PermitGrant | None]:
    """The token's client and the permit's grant, read in one statement."""
    if permit is None:
        return authenticate_token(connection, access_token), None
    dialect = connection.dialect_name
    sql, params = token_query(dialect, access_token, permit_column("%s" if dialect == "postgresql" else "?"))
    cursor = connection.driver_connection.cursor()
    try:
        cursor.execute(sql, (permit, *params))
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return None, None
    client = client_from_row(row)
    return client, grant_from_column(permit, row[4], purpose, today, client)


_STATEMENT = b"registre_lookup_with_token"
_PERMIT_STATEMENT = b"registre_lookup_with_token_permit"
_MATCHES_COLUMN = (
    ", (SELECT string_agg(encode(id_hash, 'hex'), ',') FROM subjects"
    " WHERE lookup_key = ANY(%s::bigint[]) AND opposed_purposes & %s <> 0)"
)


def _token_and_matches(connection: DriverConnection, access_token: str, keys: list[int], bit: int,
                       permit: str | None = None) -> tuple | None:
    """The token check's row with the matching digests in hexadecimal (comma-separated, or None),
    then the permit's column when one is named, or None for a refused token: one prepared
    statement run through libpq itself (``psycopg.pq``, text parameters and results). psycopg's
    cursor layer costs four times libpq's own work here, and on single lookups that was a sixth
    of the call's time in the API process."""
    pgconn = connection.driver_connection.pgconn
    prepared = connection.prepared_statements
    name, extra = (_STATEMENT, _MATCHES_COLUMN) if permit is None else \
        (_PERMIT_STATEMENT, _MATCHES_COLUMN + permit_column("%s"))
    sql, (digest, moment) = token_query("postgresql", access_token, extra)
    if name not in prepared:
        parts = sql.split("%s")
        numbered = "".join(part + (f"${i + 1}" if i + 1 < len(parts) else "") for i, part in enumerate(parts))
        _checked(pgconn, pgconn.prepare(name, numbered.encode()))
        prepared.add(name)
    values = [_array_literal(keys).encode(), str(bit).encode()]
    if permit is not None:
        values.append(permit.encode("utf-8", "replace"))
    values += [b"\\x" + digest.hex().encode(), moment.isoformat().encode()]
    result = _checked(pgconn, pgconn.exec_prepared(name, values))
    if result.ntuples == 0:
        return None
    columns = 5 if permit is None else 6
    row = [result.get_value(0, column) for column in range(columns)]
    return (int(row[0]), row[1].decode(), row[2].decode(), row[3].decode(), row[4] and row[4].decode(),
            *([row[5] and row[5].decode()] if permit is not None else []))


def _checked(pgconn, result):
    """``result`` when its statement succeeded; otherwise the error psycopg would raise (an
    ``OperationalError`` when the connection is lost)."""
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return result
    if pgconn.status == pq.ConnStatus.BAD:
        raise psycopg.OperationalError(result.get_error_message())
    raise psycopg.errors.error_from_result(result, encoding=pgconn.parameter_status(b"client_encoding").decode())


def _keys(digests: Sequence[bytes]) -> list[int]:
    return [int.from_bytes(d[:8], "big", signed=True) for d in digests]


def _validated(keyring: Keyring, identifiers: Sequence[str],
               allow_test_identifiers: bool) -> tuple[list[str | None], list[bytes]]:
    """Each identifier's reason code (None when valid), and the digests of the valid ones."""
    normalised = normalise_many(identifiers)
    errors = identifier_errors(normalised, allow_test_identifiers=allow_test_identifiers)
    if errors.count(None) < len(errors):
        normalised = list(compress(normalised, map(not_, errors)))
    return errors, keyring.hasher.digest_many(normalised)


_INSERT_BELOW = 64  # invalid identifiers of a batch, below which their places are made by insertion


def _answer(
    identifiers: Sequence[str], errors: list[str | None], digests: list[bytes], found: set[bytes],
    permit: PermitGrant | None = None,
) -> BatchAnswer:
    matches = list(map(found.__contains__, digests)) if found else [False] * len(digests)
    opposed: list[bool | None] = matches.copy()
    invalid = len(identifiers) - len(digests)
    if 0 < invalid < _INSERT_BELOW:  # a few: each None goes in its place, the loop runs in C
        for index in compress(range(len(errors)), errors):
            opposed.insert(index, None)
    elif invalid:
        answers = iter(matches)
        opposed = [None if error else next(answers) for error in errors]
    return BatchAnswer(identifiers, opposed, errors, list(compress(digests, matches)) if found else [], permit)
