"""Tables of the registry. No column ever holds a raw identifier, a name or an IP address.

A person appears only as ``Subject``: the keyed hash of their identifier, its RFC 9497 output, and
the current state of their opposition (cached from the latest version so that a lookup is one
indexed read). ``OppositionVersion`` is the history: one row per filing, change, withdrawal or
re-filing, never updated. ``AuditEvent`` is the append-only, hash-chained log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Index,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from registry.purposes import purposes_of

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, stored naive in UTC on every engine.

    SQLite has no time zones; storing naive UTC everywhere keeps values (and the audit chain's
    hashes over them) identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Subject(Base):
    """A person the registry knows of, by keyed hash only.

    ``lookup_key`` is derived from ``id_hash`` (see ``registry.hashing.lookup_key``).
    ``opposed_purposes`` is the bit mask of the current opposition (0: none, or withdrawn); it is
    always written in the same transaction as the version it derives from.
    """

    __tablename__ = "subjects"
    # Covering index of the lookup path: found by an 8-byte integer (faster to compare and
    # smaller than the 32-byte hash), answered without reading the table, the full hash checked.
    __table_args__ = (Index("ix_subjects_lookup", "lookup_key", "opposed_purposes", "id_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    lookup_key: Mapped[int] = mapped_column(BigInteger)  # the hash's first 8 bytes, signed
    hash_key_id: Mapped[str] = mapped_column(String(40))
    oprf_output: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True)
    oprf_key_id: Mapped[str] = mapped_column(String(40))
    opposed_purposes: Mapped[int] = mapped_column(Integer, default=0)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[OppositionVersion]] = relationship(
        back_populates="subject", order_by="OppositionVersion.version"
    )

    def __repr__(self) -> str:
        return f"Subject(id={self.id}, version={self.current_version})"


class OppositionVersion(Base):
    """One change to a person's opposition: what was asked, through which channel, by whom."""

    __tablename__ = "opposition_versions"
    __table_args__ = (UniqueConstraint("subject_id", "version", name="uq_opposition_versions_subject_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # filed, changed, withdrawn, refiled
    purposes_mask: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))  # online, counter, phone, post
    actor: Mapped[str] = mapped_column(String(16))  # self, proxy, agent
    proxy_for: Mapped[str | None] = mapped_column(String(24))  # minor, protected_adult
    filed_by: Mapped[str | None] = mapped_column(String(64))  # an account or staff reference
    effective_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    receipt_reference: Mapped[str] = mapped_column(String(32), unique=True)
    # The claim this version changed, and that claim's purposes after it (``purposes_mask`` is the
    # person's effective opposition after it: the union of every active claim). None on versions
    # written before claims existed and not yet attributed.
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("opposition_claims.id"), index=True)
    claim_mask: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(String(32))  # what an agent checked to weaken
    audit_seq: Mapped[int | None] = mapped_column(Integer, unique=True)  # its event: log leaf audit_seq - 1

    subject: Mapped[Subject] = relationship(back_populates="versions")
    claim: Mapped[Claim | None] = relationship()

    @property
    def purposes(self):
        return purposes_of(self.purposes_mask)

    def __repr__(self) -> str:
        return f"OppositionVersion(subject_id={self.subject_id}, version={self.version}, action={self.action!r})"


class Claim(Base):
    """One holder's "no" for one person: the person's effective opposition is the union of the
    active claims (``purposes_mask`` != 0) of every holder.

    A holder is an account (``account:<id>``, for itself while unproved, or as a proxy), one
    filing made through an offline channel (``channel:counter:<token>``, ``channel:post:...``,
    ``channel:phone:...``; ``channel:<name>`` for filings migrated from before claims) or the
    proved person (``person``). A holder sees, narrows and withdraws its own claim only; the person
    supersedes every claim (``registry.ownership`` holds those rules). ``visible_until`` ends a
    minor's proxy's view of its claim on the minor's 18th birthday.
    """

    __tablename__ = "opposition_claims"
    __table_args__ = (UniqueConstraint("subject_id", "holder", name="uq_opposition_claims_subject_holder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    relation: Mapped[str] = mapped_column(String(16))  # person, self, proxy, agent
    proxy_for: Mapped[str | None] = mapped_column(String(24))  # minor, protected_adult
    purposes_mask: Mapped[int] = mapped_column(Integer, default=0)
    visible_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # ended by the person

    subject: Mapped[Subject] = relationship()

    @property
    def active(self) -> bool:
        return self.purposes_mask != 0

    @property
    def purposes(self):
        return purposes_of(self.purposes_mask)

    def __repr__(self) -> str:
        return f"Claim(id={self.id}, subject_id={self.subject_id}, relation={self.relation!r})"


class AuditEvent(Base):
    """An append-only event; ``hash`` chains it to the previous one by SHA-256."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"AuditEvent(seq={self.seq}, action={self.action!r})"
