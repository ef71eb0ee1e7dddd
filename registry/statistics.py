"""Public statistics on oppositions, kept only as monthly aggregates computed at filing.

The registry publishes how many people object, to what, and who they are by age band and sex,
without keeping anything per person for it: every filing, change or withdrawal adds to a few
monthly counters in the same transaction (``record_opposition_change``), and the published
figures are read from those counters only. A counter is one row per (month, dimension, bucket):

* ``action``: filed, refiled, changed, withdrawn (the flows of the month);
* ``active``: the net change of oppositions in force (filed/refiled +1, withdrawn -1);
* ``purpose``: the net change of oppositions in force covering each purpose;
* ``age_sex``: oppositions filed or re-filed, by sex and by age band at filing.

Counts under ``THRESHOLD`` are never published: ``published_statistics`` replaces them with
None (shown as "<10") before anything leaves this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Date, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.daily_filings import count_filing, paris_day
from registry.identifiers import Identifier
from registry.models import Base
from registry.purposes import Purpose

THRESHOLD = 10
MASKED = "masked"  # a count of 10 or more hidden so that a count under 10 cannot be derived
AGE_BANDS = ("0-17", "18-29", "30-44", "45-59", "60-74", "75+")
_BAND_STARTS = (0, 18, 30, 45, 60, 75)
SEXES = ("female", "male")
ACTIONS = ("filed", "refiled", "changed", "withdrawn")


class StatisticCounter(Base):
    """One monthly aggregate; no column can name a person."""

    __tablename__ = "opposition_statistics"
    __table_args__ = (UniqueConstraint("month", "dimension", "bucket", name="uq_opposition_statistics_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)  # the first day of the month
    dimension: Mapped[str] = mapped_column(String(16))
    bucket: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer, default=0)


def age_band(identifier: Identifier, on: dt.date) -> str:
    """The age band at ``on``, from the birth year (and month when known) the number carries.
    The number has no century: the latest year not after ``on`` is taken."""
    year = 2000 + identifier.birth_year_2d
    if year > on.year:
        year -= 100
    age = on.year - year
    if identifier.birth_month is not None and identifier.birth_month > on.month:
        age -= 1
    age = max(age, 0)
    band = AGE_BANDS[0]
    for start, name in zip(_BAND_STARTS, AGE_BANDS):
        if age >= start:
            band = name
    return band


def record_opposition_change(
    session: Session, identifier: Identifier | None, action: str, old_mask: int, new_mask: int, when: dt.datetime
) -> None:
    """Add one filing, change or withdrawal to the month's counters (in the caller's transaction).
    The age band and sex are read from the identifier when the caller has it; a change made
    without it (by subject id) still counts in every other dimension."""
    month = when.date().replace(day=1)
    deltas: dict[tuple[str, str], int] = {("action", action): 1}
    was_active, is_active = old_mask != 0, new_mask != 0
    if was_active != is_active:
        deltas[("active", "all")] = 1 if is_active else -1
    for purpose in Purpose:
        change = bool(new_mask & purpose.bit) - bool(old_mask & purpose.bit)
        if change:
            deltas[("purpose", purpose.code)] = change
    if action in ("filed", "refiled"):
        count_filing(session, paris_day(when))  # the national daily curve beside campaign reach
    if action in ("filed", "refiled") and identifier is not None:
        deltas[("age_sex", f"{identifier.sex}:{age_band(identifier, when.date())}")] = 1
    for (dimension, bucket), delta in deltas.items():
        _add(session, month, dimension, bucket, delta)


def _add(session: Session, month: dt.date, dimension: str, bucket: str, delta: int) -> None:
    """An atomic upsert, so two filings in the same month never race on a new row."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = StatisticCounter.__table__
    statement = dialect.insert(table).values(month=month, dimension=dimension, bucket=bucket, count=delta)
    statement = statement.on_conflict_do_update(
        index_elements=["month", "dimension", "bucket"],
        set_={"count": table.c.count + statement.excluded.count},
    )
    session.execute(statement)


def publish(count: int) -> int | None:
    """A count fit to publish, or None when it is under the threshold (shown as "<10")."""
    return count if count >= THRESHOLD else None


@dataclass(frozen=True)
class MonthFigures:
    """One month: oppositions filed (first time or again), changed, withdrawn, and in force
    at the end of the month. Each is None when under the threshold, ``MASKED`` when hidden so
    that another count under the threshold cannot be derived from it."""

    month: dt.date
    filed: int | None
    changed: int | None
    withdrawn: int | None
    active: int | None


@dataclass(frozen=True)
class PublishedStatistics:
    """Everything the public may see; every count is already suppressed under the threshold."""

    active: int | None
    months: list[MonthFigures] = field(default_factory=list)
    by_purpose: list[tuple[Purpose, int | None]] = field(default_factory=list)
    by_age_sex: list[tuple[str, dict[str, int | None]]] = field(default_factory=list)  # band -> sex -> count


def published_statistics(session: Session) -> PublishedStatistics:
    """Read the counters and suppress every count under the threshold."""
    rows = session.execute(
        select(StatisticCounter.month, StatisticCounter.dimension, StatisticCounter.bucket, StatisticCounter.count)
    ).all()
    per_month: dict[dt.date, dict[tuple[str, str], int]] = {}
    totals: dict[tuple[str, str], int] = {}
    for month, dimension, bucket, count in rows:
        per_month.setdefault(month, {})[(dimension, bucket)] = count
        totals[(dimension, bucket)] = totals.get((dimension, bucket), 0) + count
    months, running = [], 0
    for month in _every_month(sorted(per_month)):
        cells = per_month.get(month, {})
        running += cells.get(("active", "all"), 0)
        filed = publish(cells.get(("action", "filed"), 0) + cells.get(("action", "refiled"), 0))
        withdrawn = publish(cells.get(("action", "withdrawn"), 0))
        if filed is None and withdrawn is not None:
            # filed - withdrawn is the change of the oppositions in force, which is published:
            # showing one of the two would give away the other.
            withdrawn = MASKED
        elif withdrawn is None and filed is not None:
            filed = MASKED
        months.append(MonthFigures(month, filed, publish(cells.get(("action", "changed"), 0)), withdrawn,
                                   publish(running)))
    age_cells = {(band, sex): publish(totals.get(("age_sex", f"{sex}:{band}"), 0)) for band in AGE_BANDS for sex in SEXES}
    _protect_lone_cell(age_cells, {k: totals.get(("age_sex", f"{k[1]}:{k[0]}"), 0) for k in age_cells})
    return PublishedStatistics(
        active=publish(totals.get(("active", "all"), 0)),
        months=months,
        by_purpose=[(p, publish(totals.get(("purpose", p.code), 0))) for p in Purpose],
        by_age_sex=[(band, {sex: age_cells[(band, sex)] for sex in SEXES}) for band in AGE_BANDS],
    )


def _protect_lone_cell(cells: dict, counts: dict) -> None:
    """The age and sex cells add up to every filing ever made, which the monthly figures give:
    when a single cell is suppressed, the smallest published one is suppressed with it so that
    the total cannot give the hidden one away."""
    hidden = [key for key, value in cells.items() if value is None]
    shown = [key for key, value in cells.items() if value is not None]
    if len(hidden) == 1 and shown:
        cells[min(shown, key=lambda key: counts[key])] = MASKED


def _every_month(months: list[dt.date]) -> list[dt.date]:
    """From the first month with a counter to the last, without gaps."""
    if not months:
        return []
    result, current = [], months[0]
    while current <= months[-1]:
        result.append(current)
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return result


__all__ = [
    "AGE_BANDS", "MASKED", "SEXES", "THRESHOLD", "MonthFigures", "PublishedStatistics", "StatisticCounter",
    "age_band", "publish", "published_statistics", "record_opposition_change",
]
