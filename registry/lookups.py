"""Checking identifiers against the registry: the hot path warehouses depend on.

For each identifier: normalise, validate (a bad one gets its reason and never fails the batch),
hash under the current key, then one query per chunk for the hashes whose opposition covers the
purpose. The query goes through the raw driver: SQLAlchemy's per-statement cost is 2-3x the
driver's on this path, and the statement is trivial. Reads only; safe on a replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry.identifiers import identifier_error, normalise_fast
from registry.keyring import Keyring
from registry.purposes import Purpose

SQLITE_CHUNK = 900  # well under SQLite's bound-parameter limit
POSTGRES_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class LookupResult:
    """One answer, in input order: ``opposed`` for a valid identifier, ``error`` otherwise."""

    identifier: str
    opposed: bool | None = None
    error: str | None = None

    def __repr__(self) -> str:  # never print the identifier
        return f"LookupResult(opposed={self.opposed}, error={self.error})"


def opposed_digests(session: Session, digests: Sequence[bytes], purpose: Purpose) -> set[bytes]:
    """The subset of ``digests`` whose current opposition covers ``purpose``."""
    if not digests:
        return set()
    connection = session.connection()
    found: set[bytes] = set()
    if connection.dialect.name == "postgresql":
        sql = "SELECT id_hash FROM subjects WHERE id_hash = ANY(%s) AND (opposed_purposes & %s) <> 0"
        for start in range(0, len(digests), POSTGRES_CHUNK):
            chunk = list(digests[start : start + POSTGRES_CHUNK])
            found.update(bytes(row[0]) for row in connection.exec_driver_sql(sql, (chunk, purpose.bit)))
        return found
    for start in range(0, len(digests), SQLITE_CHUNK):
        chunk = digests[start : start + SQLITE_CHUNK]
        sql = (
            "SELECT id_hash FROM subjects WHERE (opposed_purposes & ?) <> 0 AND id_hash IN ("
            + ",".join("?" * len(chunk))
            + ")"
        )
        found.update(row[0] for row in connection.exec_driver_sql(sql, (purpose.bit, *chunk)))
    return found


def lookup_batch(
    session: Session, keyring: Keyring, identifiers: Sequence[str], purpose: Purpose
) -> list[LookupResult]:
    """Answer one result per identifier, in input order."""
    normalised = [normalise_fast(raw) for raw in identifiers]
    errors = [identifier_error(value) for value in normalised]
    valid = [value for value, error in zip(normalised, errors) if error is None]
    digests = keyring.hasher.digest_many(valid)
    opposed = opposed_digests(session, digests, purpose)
    answers = iter([digest in opposed for digest in digests])
    return [
        LookupResult(raw, opposed=next(answers)) if error is None else LookupResult(raw, error=error)
        for raw, error in zip(identifiers, errors)
    ]
