"""Data permits (EHDS art. 68) and their public-interest exceptions (art. 71(4)).

A health data access body (the Health Data Hub, or a CNIL authorisation) issues a permit to a
project: a reference, a title, the warehouses that hold it, the purposes it covers and the dates
it runs. A lookup may name the permit it serves; the citizen then sees which project applied
their opposition. National law may let some permits include people who opted out: such a permit
carries an **exception** (its legal basis and the decision's reference). A person answered under
an exception is recorded as such (``PermitApplication.exception``), shown to them and counted on
the public register.

Every creation or change is an audit event (``permit.created``, ``permit.changed``). The register
is public: a refusal may say that a permit exists but is not the caller's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, delete, func,
                        select)
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event
from registry.errors import RegistryError
from registry.models import Base, UTCDateTime, utcnow
from registry.purposes import Purpose, mask_of, purposes_of
from registry.warehouses import Warehouse

REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
URL = re.compile(r"https://[^\s<>\"']{1,492}", re.ASCII)


class Permit(Base):
    """A data permit as issued: what it covers, for how long, and any exception to oppositions."""

    __tablename__ = "permits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    issuing_body: Mapped[str] = mapped_column(String(200))
    purposes_mask: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    url: Mapped[str] = mapped_column(String(500))
    exception_basis: Mapped[str | None] = mapped_column(Text)  # the law that allows it
    exception_reference: Mapped[str | None] = mapped_column(String(100))  # the decision's reference
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def purposes(self) -> list[Purpose]:
        return purposes_of(self.purposes_mask)

    @property
    def has_exception(self) -> bool:
        return self.exception_reference is not None

    def __repr__(self) -> str:
        return f"Permit(reference={self.reference!r})"


class PermitHolder(Base):
    """A warehouse that holds a permit (a permit may be shared by several)."""

    __tablename__ = "permit_holders"

    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True, index=True)


class PermitApplication(Base):
    """A lookup under a permit found this person opposed: their opposition was applied (or, under
    an exception, set aside) for this permit, warehouse and purpose; first and latest time. Keyed
    hash only, like ``registry.transparency.OppositionApplied``."""

    __tablename__ = "permit_applications"
    __table_args__ = (
        Index("uq_permit_applications_key", "id_hash", "permit_id", "warehouse_id", "purpose_bit", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    purpose_bit: Mapped[int] = mapped_column(Integer)
    exception: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PermitError(RegistryError):
    """A permit's details are not acceptable; ``field`` names the one to correct."""

    code = "invalid_permit"
    message = "The permit's details are not acceptable."

    def __init__(self, field: str, code: str, message: str | None = None) -> None:
        super().__init__(message)
        self.field, self.code = field, code


class PermitNotFound(RegistryError):
    code = "permit_not_found"
    message = "No permit has this reference."


class PermitRefused(RegistryError):
    """A lookup named a permit it may not use; ``code`` is the API's problem code."""

    MESSAGES = {
        "unknown_permit": "No permit has this reference.",
        "permit_expired": "The permit has ended.",
        "permit_not_started": "The permit has not started yet.",
        "permit_not_held": "The permit is not held by this warehouse.",
        "permit_purpose_not_covered": "The permit does not cover this purpose.",
        "permit_exception_not_private": "A permit with an exception cannot be used in private mode.",
    }

    def __init__(self, code: str, client=None) -> None:
        super().__init__(self.MESSAGES[code])
        self.code, self.client = code, client


@dataclass(frozen=True)
class PermitDetails:
    """What an administrator gives to create or change a permit."""

    reference: str
    title: str
    issuing_body: str
    purposes: tuple[Purpose, ...]
    starts_on: dt.date
    ends_on: dt.date
    url: str
    holders: tuple[str, ...] = ()  # warehouse client ids
    exception_basis: str | None = None
    exception_reference: str | None = None


@dataclass(frozen=True)
class PermitGrant:
    """A permit a lookup may use: recorded with its results; ``exception`` set when it has one."""

    id: int
    reference: str
    exception: str | None = None


def _text(value: str | None, field: str, limit: int, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise PermitError(field, "required", f"'{field}' is required.")
        return None
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise PermitError(field, "too_long", f"'{field}' has at most {limit} printable characters.")
    return value


def _checked(session: Session, details: PermitDetails) -> tuple[dict, list[int]]:
    """The permit's columns and holders' ids from ``details``, or the first ``PermitError``."""
    reference = (details.reference or "").strip()
    if not REFERENCE.fullmatch(reference):
        raise PermitError("reference", "format", "A reference has 1 to 64 letters, digits, '.', '_' or '-'.")
    columns = {
        "reference": reference,
        "title": _text(details.title, "title", 300),
        "issuing_body": _text(details.issuing_body, "issuing_body", 200),
        "url": _text(details.url, "url", 500),
        "exception_basis": _text(details.exception_basis, "exception_basis", 2000, required=False),
        "exception_reference": _text(details.exception_reference, "exception_reference", 100, required=False),
    }
    if not URL.fullmatch(columns["url"]):
        raise PermitError("url", "format", "The public address starts with https://.")
    if not details.purposes:
        raise PermitError("purposes", "required", "A permit covers at least one purpose.")
    columns["purposes_mask"] = mask_of(details.purposes)
    if not isinstance(details.starts_on, dt.date) or not isinstance(details.ends_on, dt.date):
        raise PermitError("starts_on", "required", "A permit has a start and an end date.")
    if details.ends_on < details.starts_on:
        raise PermitError("ends_on", "order", "A permit ends on or after its start.")
    columns["starts_on"], columns["ends_on"] = details.starts_on, details.ends_on
    if (columns["exception_basis"] is None) != (columns["exception_reference"] is None):
        raise PermitError("exception_reference" if columns["exception_basis"] else "exception_basis", "incomplete",
                          "An exception has both a legal basis and a decision reference.")
    holders = []
    for client_id in dict.fromkeys(details.holders):
        warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.client_id == client_id))
        if warehouse_id is None:
            raise PermitError("holders", "unknown_warehouse", "A holder is not a warehouse client.")
        holders.append(warehouse_id)
    if not holders:
        raise PermitError("holders", "required", "A permit is held by at least one warehouse.")
    return columns, holders


def _audit_details(permit: Permit, holders: Iterable[str]) -> dict:
    return {"reference": permit.reference, "title": permit.title, "issuing_body": permit.issuing_body,
            "purposes": [p.code for p in permit.purposes], "starts_on": permit.starts_on.isoformat(),
            "ends_on": permit.ends_on.isoformat(), "url": permit.url, "holders": sorted(holders),
            "exception_basis": permit.exception_basis, "exception_reference": permit.exception_reference}


def create_permit(session: Session, details: PermitDetails, *, actor: str) -> Permit:
    """Register a permit; audited with everything it says (the register is public)."""
    columns, holders = _checked(session, details)
    if session.scalar(select(Permit.id).where(Permit.reference == columns["reference"])) is not None:
        raise PermitError("reference", "taken", "A permit already has this reference.")
    permit = Permit(**columns)
    session.add(permit)
    session.flush()
    session.add_all(PermitHolder(permit_id=permit.id, warehouse_id=w) for w in holders)
    session.flush()
    record_event(session, action="permit.created", actor=actor, target=permit.reference,
                 details=_audit_details(permit, holder_client_ids(session, permit.id)))
    return permit


def change_permit(session: Session, reference: str, details: PermitDetails, *, actor: str) -> Permit:
    """Change a permit (its reference stays); audited with what it says after the change."""
    permit = get_permit(session, reference)
    columns, holders = _checked(session, details)
    columns.pop("reference")
    for name, value in columns.items():
        setattr(permit, name, value)
    permit.updated_at = utcnow()
    session.execute(delete(PermitHolder).where(PermitHolder.permit_id == permit.id))
    session.add_all(PermitHolder(permit_id=permit.id, warehouse_id=w) for w in holders)
    session.flush()
    record_event(session, action="permit.changed", actor=actor, target=permit.reference,
                 details=_audit_details(permit, holder_client_ids(session, permit.id)))
    return permit


def get_permit(session: Session, reference: str) -> Permit:
    permit = session.scalar(select(Permit).where(Permit.reference == reference)) if isinstance(reference, str) else None
    if permit is None:
        raise PermitNotFound()
    return permit


def list_permits(session: Session) -> list[Permit]:
    """Every permit, latest start first."""
    return list(session.scalars(select(Permit).order_by(Permit.starts_on.desc(), Permit.reference)))


def holder_client_ids(session: Session, permit_id: int) -> list[str]:
    return list(session.scalars(select(Warehouse.client_id).join(PermitHolder, PermitHolder.warehouse_id == Warehouse.id)
                                .where(PermitHolder.permit_id == permit_id).order_by(Warehouse.client_id)))


def holder_names(session: Session, permit_id: int) -> list[str]:
    return list(session.scalars(select(Warehouse.name).join(PermitHolder, PermitHolder.warehouse_id == Warehouse.id)
                                .where(PermitHolder.permit_id == permit_id).order_by(Warehouse.name)))


# -- using a permit -----------------------------------------------------------------------------

def permit_column(marker: str) -> str:
    """A column for the token check's statement (``registry.warehouses.token_query``): the named
    permit as ``id|starts_on|ends_on|purposes|held|exception`` (``held`` 1 when the token's
    warehouse ``w`` holds it), or NULL when no permit has the reference. Read with
    ``grant_from_column``: the token and the permit are checked in one statement."""
    return (", (SELECT p.id || '|' || p.starts_on || '|' || p.ends_on || '|' || p.purposes_mask || '|' ||"
            " CASE WHEN EXISTS (SELECT 1 FROM permit_holders h WHERE h.permit_id = p.id AND h.warehouse_id = w.id)"
            " THEN '1' ELSE '0' END || '|' || COALESCE(p.exception_reference, '')"
            f" FROM permits p WHERE p.reference = {marker})")


def grant_from_column(reference: str, value: str | None, purpose: Purpose, today: dt.date, client=None) -> PermitGrant:
    """The grant a lookup for ``purpose`` may use, from ``permit_column``'s value; ``PermitRefused``
    (carrying ``client``) when the permit is unknown, not in force ``today``, not held by the
    caller or does not cover the purpose."""
    if value is None:
        raise PermitRefused("unknown_permit", client)
    permit_id, starts, ends, mask, held, exception = value.split("|", 5)
    return _grant(int(permit_id), reference, dt.date.fromisoformat(starts[:10]), dt.date.fromisoformat(ends[:10]),
                  int(mask), held == "1", exception or None, purpose, today, client)


def _grant(permit_id, reference, starts_on, ends_on, mask, held, exception, purpose, today, client) -> PermitGrant:
    if today > ends_on:
        raise PermitRefused("permit_expired", client)
    if today < starts_on:
        raise PermitRefused("permit_not_started", client)
    if not held:
        raise PermitRefused("permit_not_held", client)
    if not mask & purpose.bit:
        raise PermitRefused("permit_purpose_not_covered", client)
    return PermitGrant(permit_id, reference, exception)


def permit_grant(session: Session, reference: str, warehouse_id: int, purpose: Purpose,
                 today: dt.date | None = None) -> PermitGrant:
    """``grant_from_column`` through the ORM, for jobs and private mode (not on the hot path)."""
    permit = session.scalar(select(Permit).where(Permit.reference == reference))
    if permit is None:
        raise PermitRefused("unknown_permit")
    held = session.scalar(select(func.count()).select_from(PermitHolder).where(
        PermitHolder.permit_id == permit.id, PermitHolder.warehouse_id == warehouse_id)) > 0
    return _grant(permit.id, permit.reference, permit.starts_on, permit.ends_on, permit.purposes_mask, held,
                  permit.exception_reference, purpose, today or utcnow().date(), None)


def valid_reference(value) -> bool:
    return isinstance(value, str) and REFERENCE.fullmatch(value) is not None


# -- the public register ------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterLine:
    """A permit as the public register shows it. Counts of people are published as the
    statistics are (``registry.statistics.publish_rounded``: None under the threshold)."""

    permit: Permit
    holders: list[str]
    excluded: int | None  # people whose opposition was applied under the permit
    excepted: int | None  # people included under its exception


def public_register(session: Session) -> list[RegisterLine]:
    """Every permit, latest start first, with its holders' names and its published counts."""
    from registry.statistics import publish_rounded

    counts = dict(((permit_id, excepted), n) for permit_id, excepted, n in session.execute(
        select(PermitApplication.permit_id, PermitApplication.exception,
               func.count(func.distinct(PermitApplication.id_hash)))
        .group_by(PermitApplication.permit_id, PermitApplication.exception)))
    return [RegisterLine(permit, holder_names(session, permit.id),
                         publish_rounded(counts.get((permit.id, False), 0)),
                         publish_rounded(counts.get((permit.id, True), 0)))
            for permit in list_permits(session)]
