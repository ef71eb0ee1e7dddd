"""Transparency: which warehouses applied a person's opposition, and when.

When a lookup or a cohort job finds an opposition, the registry notes (warehouse, keyed hash of
the identifier, purpose, first seen, last seen). A citizen can then read "warehouse X applied
your opposition on date Y" without the registry ever keeping their number: the record holds the
same keyed hash as ``subjects``. ``last_seen`` moves forward at most once an hour per record, so
a warehouse re-checking its cohort all day does not turn every lookup into a write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.dialect import sqlite_datetime_text
from registry.identifiers import Identifier
from registry.keyring import Keyring
from registry.models import Base, Subject, UTCDateTime, utcnow
from registry.permits import Permit, PermitApplication
from registry.purposes import Purpose, purposes_of
from registry.warehouses import Warehouse

REFRESH_AFTER = dt.timedelta(hours=1)


class OppositionApplied(Base):
    """A warehouse found this person's opposition for this purpose (first and latest time)."""

    __tablename__ = "oppositions_applied"
    __table_args__ = (
        Index("uq_oppositions_applied_key", "id_hash", "warehouse_id", "purpose_bit", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    purpose_bit: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"OppositionApplied(warehouse_id={self.warehouse_id}, purpose_bit={self.purpose_bit})"


@dataclass(frozen=True)
class Application:
    """One line of a citizen's transparency list: a warehouse applied the opposition, under a
    data permit when ``permit_reference`` is set; or, when ``exception_reference`` is set, set it
    aside under that permit's public-interest exception (shown apart, with its legal basis)."""

    warehouse_name: str
    purpose: Purpose
    first_seen: dt.datetime
    last_seen: dt.datetime
    permit_reference: str | None = None
    permit_title: str | None = None
    permit_url: str | None = None
    exception_reference: str | None = None
    exception_basis: str | None = None

    @property
    def exception(self) -> bool:
        return self.exception_reference is not None


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def record_applications(
    session: Session, warehouse_id: int, digests: Iterable[bytes], purpose: Purpose, *, now: dt.datetime | None = None
) -> int:
    """Note that ``warehouse_id`` found the opposition of each of ``digests`` for ``purpose``.

    One upsert for the whole set through the raw driver (a cohort may match thousands of people);
    the row is only rewritten when its ``last_seen`` is older than ``REFRESH_AFTER``. Returns how
    many distinct people were noted.
    """
    moment = now or utcnow()
    return record_sightings(session, warehouse_id, purpose, {digest: (moment, moment) for digest in digests})


def record_sightings(
    session: Session, warehouse_id: int, purpose: Purpose, seen: Mapping[bytes, tuple[dt.datetime, dt.datetime]]
) -> int:
    """``record_applications`` for sightings gathered over a while: digest -> (first, last) time
    it was found. A new record starts at ``first``; an existing one moves to ``last`` when stale.

    On PostgreSQL each group of ``UPSERT_CHUNK`` records is one statement over arrays sent as
    text (``unnest``): a row-by-row ``executemany`` spent 24 us of Python per record (now 2.5), and
    a batch lookup or a job may note thousands of people at once. SQLite's ``executemany``
    runs its loop in C."""
    unique = sorted(seen)
    if not unique:
        return 0
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            for start in range(0, len(unique), UPSERT_CHUNK):
                part = unique[start:start + UPSERT_CHUNK]
                cursor.execute(_POSTGRES_UPSERT, (
                    warehouse_id, purpose.bit, "{" + ",".join(digest.hex() for digest in part) + "}",
                    _stamps([seen[digest][0] for digest in part]), _stamps([seen[digest][1] for digest in part]),
                    int(REFRESH_AFTER.total_seconds())))
        else:
            # a group's sightings share few distinct moments: each is written as text once, with
            # the moment before which a record seen then is stale
            moments = set(chain.from_iterable(seen.values()))
            text = {moment: sqlite_datetime_text(_naive(moment)) for moment in moments}
            stale = {moment: sqlite_datetime_text(_naive(moment - REFRESH_AFTER)) for moment in moments}
            bit = purpose.bit
            rows = []
            for digest in unique:
                first, last = seen[digest]
                rows.append((digest, warehouse_id, bit, text[first], text[last], stale[last]))
            cursor.executemany(_SQLITE_UPSERT, rows)
    finally:
        cursor.close()
    return len(unique)


UPSERT_CHUNK = 10_000
_POSTGRES_UPSERT = (
    "INSERT INTO oppositions_applied (id_hash, warehouse_id, purpose_bit, first_seen, last_seen) "
    "SELECT decode(h, 'hex'), %s, %s, f, l FROM unnest(%s::text[], %s::timestamp[], %s::timestamp[]) AS s(h, f, l) "
    "ON CONFLICT (id_hash, warehouse_id, purpose_bit) DO UPDATE SET last_seen = excluded.last_seen "
    "WHERE oppositions_applied.last_seen < excluded.last_seen - make_interval(secs => %s)"
)
# the sqlite3 driver's datetime adapter is deprecated: SQLite gets the same text SQLAlchemy stores
_SQLITE_UPSERT = (
    "INSERT INTO oppositions_applied (id_hash, warehouse_id, purpose_bit, first_seen, last_seen) "
    "VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (id_hash, warehouse_id, purpose_bit) DO UPDATE SET last_seen = excluded.last_seen "
    "WHERE oppositions_applied.last_seen < ?"
)


def _stamps(moments: list[dt.datetime]) -> str:
    """Naive UTC moments as the text of a PostgreSQL ``timestamp[]`` (each distinct one written once)."""
    text: dict[dt.datetime, str] = {}
    for moment in moments:
        if moment not in text:
            text[moment] = '"' + _naive(moment).isoformat(sep=" ") + '"'
    return "{" + ",".join(map(text.__getitem__, moments)) + "}"


def applications_for(session: Session, keyring: Keyring, identifier: Identifier) -> list[Application]:
    """What a citizen's space shows: each warehouse and purpose for which their opposition was
    applied, latest first. The identifier is hashed here and never stored."""
    return _applications(session, keyring.hasher.digest(identifier.value))


def applications_for_subject(session: Session, subject_id: int) -> list[Application]:
    """The same list for a person known by subject id (an account's space keeps no identifier)."""
    digest = select(Subject.id_hash).where(Subject.id == subject_id).scalar_subquery()
    return _applications(session, digest)


def _applications(session: Session, id_hash) -> list[Application]:
    """Applications without a permit, then each one under a permit (exceptions included), latest
    first. A permit's lines replace the plain line of the same warehouse and purpose."""
    permitted = session.execute(
        select(Warehouse.name, PermitApplication.purpose_bit, PermitApplication.first_seen,
               PermitApplication.last_seen, Permit.reference, Permit.title, Permit.url,
               PermitApplication.exception, Permit.exception_reference, Permit.exception_basis)
        .join(Warehouse, Warehouse.id == PermitApplication.warehouse_id)
        .join(Permit, Permit.id == PermitApplication.permit_id)
        .where(PermitApplication.id_hash == id_hash)
    ).all()
    rows = session.execute(
        select(Warehouse.name, OppositionApplied.purpose_bit, OppositionApplied.first_seen,
               OppositionApplied.last_seen)
        .join(Warehouse, Warehouse.id == OppositionApplied.warehouse_id)
        .where(OppositionApplied.id_hash == id_hash)
    )
    under_permit = {(row[0], row[1]) for row in permitted if not row[7]}
    lines = [Application(name, purposes_of(bit)[0], first, last) for name, bit, first, last in rows
             if (name, bit) not in under_permit]
    lines += [Application(name, purposes_of(bit)[0], first, last, reference, title, url,
                          exception_reference if excepted else None, exception_basis if excepted else None)
              for name, bit, first, last, reference, title, url, excepted, exception_reference, exception_basis
              in permitted]
    lines.sort(key=lambda a: (-a.last_seen.timestamp(), a.warehouse_name, a.purpose.bit, a.permit_reference or ""))
    return lines


def record_permit_sightings(
    session: Session, warehouse_id: int, purpose: Purpose, permit_id: int, exception: bool,
    seen: Mapping[bytes, tuple[dt.datetime, dt.datetime]],
) -> int:
    """Note that a lookup under permit ``permit_id`` found each of ``seen``'s people opposed (the
    opposition applied, or set aside when ``exception``): digest -> (first, last) time. Returns
    how many people were noted. Lookups under a permit are fewer than plain ones: one
    ``executemany`` on both engines."""
    unique = sorted(seen)
    if not unique:
        return 0
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    cursor = connection.connection.driver_connection.cursor()
    rows = []
    for digest in unique:
        first, last = seen[digest]
        if postgres:
            rows.append((digest, permit_id, warehouse_id, purpose.bit, exception, _naive(first), _naive(last),
                         _naive(last - REFRESH_AFTER)))
        else:
            rows.append((digest, permit_id, warehouse_id, purpose.bit, int(exception), sqlite_datetime_text(_naive(first)),
                         sqlite_datetime_text(_naive(last)), sqlite_datetime_text(_naive(last - REFRESH_AFTER))))
    try:
        cursor.executemany(_PERMIT_UPSERT.replace("?", "%s") if postgres else _PERMIT_UPSERT, rows)
    finally:
        cursor.close()
    return len(unique)


_PERMIT_UPSERT = (
    "INSERT INTO permit_applications (id_hash, permit_id, warehouse_id, purpose_bit, exception, first_seen, last_seen) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id_hash, permit_id, warehouse_id, purpose_bit) DO UPDATE SET last_seen = excluded.last_seen, "
    "exception = excluded.exception WHERE permit_applications.last_seen < ?"
)
