"""How many identifiers a warehouse may evaluate in the private mode, and what it reported back.

The identifier space is small: without a cap, a warehouse could evaluate every possible number
and read the whole filter of opposed people. Each warehouse therefore gets an allowance derived
from the cohort size it declared: so many evaluations per day and so many in total. Every batch
is counted here and audited; the registry never learns which people were evaluated.

Acknowledgements are what a warehouse may send back after a private run (counts only), since in
this mode the registry cannot see matches itself.
"""

from __future__ import annotations

import datetime as dt
from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event, warehouse_actor
from registry.errors import RegistryError
from registry.models import Base, UTCDateTime, utcnow
from registry.warehouses import Warehouse

DAILY_FACTOR = 2  # two full runs of the declared cohort per day
TOTAL_FACTOR = 60  # e.g. a run a fortnight for about two years, then a new declaration


class PrivateAllowance(Base):
    """A warehouse's declared cohort size and its running total of evaluations."""

    __tablename__ = "private_allowances"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    declared_cohort_size: Mapped[int] = mapped_column(Integer)
    evaluated_total: Mapped[int] = mapped_column(Integer, default=0)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivateEvaluationDay(Base):
    """Evaluations per warehouse and UTC day: the daily cap reads this row."""

    __tablename__ = "private_evaluation_days"
    __table_args__ = (UniqueConstraint("warehouse_id", "day", name="uq_private_evaluation_days_warehouse_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    evaluated: Mapped[int] = mapped_column(Integer, default=0)


class PrivateAcknowledgement(Base):
    """Counts a warehouse reported after a private run; no identifier, no output."""

    __tablename__ = "private_acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    purpose: Mapped[str] = mapped_column(String(32))
    cohort_size: Mapped[int] = mapped_column(Integer)
    opposed_count: Mapped[int] = mapped_column(Integer)
    filter_version: Mapped[int] = mapped_column(Integer)


class NoAllowance(RegistryError):
    code = "no_private_allowance"
    message = "This warehouse has declared no cohort size for the private lookup."


class QuotaExceeded(RegistryError):
    """Over the daily cap (``retry_after`` seconds until the next UTC day) or the total cap."""

    code = "private_quota_exceeded"

    def __init__(self, scope: str, retry_after: int | None) -> None:
        super().__init__(f"the {scope} private-lookup allowance is used up")
        self.scope, self.retry_after = scope, retry_after


def declare_cohort(session: Session, warehouse_id: int, cohort_size: int, *, actor: str) -> PrivateAllowance:
    """Set (or renew) a warehouse's declared cohort size; a renewal restarts the total."""
    if not 1 <= cohort_size <= 100_000_000:
        raise RegistryError("A declared cohort holds 1 to 100,000,000 people.")
    allowance = session.get(PrivateAllowance, warehouse_id)
    if allowance is None:
        allowance = PrivateAllowance(warehouse_id=warehouse_id)
        session.add(allowance)
    allowance.declared_cohort_size = cohort_size
    allowance.evaluated_total = 0
    allowance.declared_at = utcnow()
    session.flush()
    record_event(session, action="private.cohort_declared", actor=actor, target=f"warehouse:{warehouse_id}",
                 details={"cohort_size": cohort_size})
    return allowance


def charge_evaluations(session: Session, warehouse_id: int, count: int, *, purpose: str, now: dt.datetime | None = None) -> None:
    """Count a batch against the allowance, or refuse it whole; the batch is audited with its count.

    The allowance row is locked for the transaction, so two concurrent batches cannot both pass
    the cap.
    """
    now = now or utcnow()
    allowance = session.scalars(
        select(PrivateAllowance).where(PrivateAllowance.warehouse_id == warehouse_id).with_for_update()
    ).one_or_none()
    if allowance is None:
        raise NoAllowance()
    today = now.date()
    day = session.scalars(
        select(PrivateEvaluationDay).where(
            PrivateEvaluationDay.warehouse_id == warehouse_id, PrivateEvaluationDay.day == today
        )
    ).one_or_none()
    used_today = day.evaluated if day else 0
    if allowance.evaluated_total + count > allowance.declared_cohort_size * TOTAL_FACTOR:
        raise QuotaExceeded("total", None)
    if used_today + count > allowance.declared_cohort_size * DAILY_FACTOR:
        midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        raise QuotaExceeded("daily", max(1, int((midnight - now).total_seconds())))
    if day is None:
        day = PrivateEvaluationDay(warehouse_id=warehouse_id, day=today, evaluated=0)
        session.add(day)
    day.evaluated = used_today + count
    allowance.evaluated_total += count
    session.flush()
    record_event(session, action="private.evaluated", actor=_actor(session, warehouse_id),
                 target=f"warehouse:{warehouse_id}", details={"elements": count, "purpose": purpose})


def acknowledge(session: Session, warehouse_id: int, *, purpose: str, cohort_size: int, opposed_count: int,
                filter_version: int) -> PrivateAcknowledgement:
    """Keep the counts a warehouse reports after a private run, for the compliance board."""
    if cohort_size < 0 or not 0 <= opposed_count <= cohort_size or filter_version < 0:
        raise RegistryError("Counts must be non-negative and the opposed count at most the cohort size.")
    ack = PrivateAcknowledgement(warehouse_id=warehouse_id, purpose=purpose, cohort_size=cohort_size,
                                 opposed_count=opposed_count, filter_version=filter_version)
    session.add(ack)
    session.flush()
    record_event(session, action="private.acknowledged", actor=_actor(session, warehouse_id),
                 target=f"warehouse:{warehouse_id}",
                 details={"purpose": purpose, "cohort_size": cohort_size, "opposed": opposed_count,
                          "filter_version": filter_version})
    return ack


def latest_acknowledgements(session: Session, warehouse_id: int, limit: int = 10) -> list[PrivateAcknowledgement]:
    return list(session.scalars(
        select(PrivateAcknowledgement).where(PrivateAcknowledgement.warehouse_id == warehouse_id)
        .order_by(PrivateAcknowledgement.received_at.desc()).limit(limit)
    ))


def _actor(session: Session, warehouse_id: int) -> str:
    return warehouse_actor(session.get(Warehouse, warehouse_id).client_id)
