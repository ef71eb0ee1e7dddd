"""Public statistics on oppositions, kept only as daily aggregates of the opposition in force.

The registry publishes how many people object, to what, and who they are by age band and sex,
without keeping anything per person for it. Several holders (an account, a proxy, a counter or
postal filing) may each hold a claim on one person, and the person's opposition in force (the
*effective* opposition) is the union of those claims. Only a change of that effective opposition
is counted: the registry calls ``record_effective_change`` in the same transaction whenever a
person's effective purposes change, and never otherwise, so several filings for one person count
once. A counter is one row per (Paris day, dimension, bucket):

* ``action``: filed, refiled, changed, withdrawn (the flows of the day, derived from the
  effective purposes before and after: none -> some is filed, or refiled when the person had
  been opposed before; some -> none is withdrawn; anything else is changed);
* ``active``: the net change of people with an opposition in force (filed/refiled +1, withdrawn -1);
* ``purpose``: the net change of people whose opposition in force covers each purpose;
* ``age_sex``: oppositions filed or re-filed, by sex and by age band at filing.

Why only closed days, and rounded: filing is open to anyone for anyone, and never says what was
there before. If the published figures moved live and exactly, one could file an opposition for
a rare purpose on someone's behalf and watch the count: unchanged means the person was already
opposed, +1 that they were not (an oracle on another person's choice). So ``published_statistics``
reads only days that have ended (strictly before today, Paris time), where a filing is mixed with
a whole day of everybody else's changes and cannot be watched as it happens, and publishes every
count rounded to the nearest ``ROUNDING``, so that a single change does not show as a change of
one. Counts under ``THRESHOLD`` are, as before, never published: they become None (shown as
"<10") before anything leaves this module; the threshold and the secondary suppression
(``MASKED``) are decided on the exact counts, and rounding is applied to what is left.

The national daily filing counter (``registry.daily_filings``) is fed from here too, on filed and
re-filed; it is read by the campaign dashboards only, never published to the public.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Date, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.daily_filings import count_filing, paris_day
from registry.dialect import upsert
from registry.identifiers import Identifier
from registry.models import Base, utcnow
from registry.purposes import Purpose

THRESHOLD = 10
ROUNDING = 5  # every published count is rounded to the nearest multiple of this
MASKED = "masked"  # a count of 10 or more hidden so that a count under 10 cannot be derived
AGE_BANDS = ("0-17", "18-29", "30-44", "45-59", "60-74", "75+")
_BAND_STARTS = (0, 18, 30, 45, 60, 75)
SEXES = ("female", "male")
ACTIONS = ("filed", "refiled", "changed", "withdrawn")
# The demonstration history's counters (``registry.statistics_demo``) are the same cells with
# their dimension prefixed, so that they never mix with real counts: production never reads them.
SYNTHETIC_PREFIX = "demo:"


class StatisticCounter(Base):
    """One daily aggregate; no column can name a person."""

    __tablename__ = "opposition_statistics"
    __table_args__ = (UniqueConstraint("day", "dimension", "bucket", name="uq_opposition_statistics_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)  # a Paris day (rows from before 0009: the 1st of their month)
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


def effective_action(old_mask: int, new_mask: int, *, ever_opposed: bool) -> str:
    """What a change of the effective opposition amounts to: filed (or refiled when the person
    had been opposed before), withdrawn, or changed."""
    if old_mask == 0:
        return "refiled" if ever_opposed else "filed"
    if new_mask == 0:
        return "withdrawn"
    return "changed"


def record_effective_change(
    session: Session, identifier: Identifier | None, old_mask: int, new_mask: int, when: dt.datetime,
    *, ever_opposed: bool,
) -> None:
    """Count one change of a person's effective opposition (the union of their claims) in the
    counters of the Paris day of ``when``, in the caller's transaction.

    The registry calls this only when the effective purposes change; equal masks are a no-op,
    so a filing that adds nothing to what the person already opposes leaves no trace here.
    ``ever_opposed`` says whether the person had an opposition in force at some earlier time
    (a filing after a withdrawal is then ``refiled``). The age band and sex are read from the
    identifier when the caller has it; a change made without it (by subject id) still counts in
    every other dimension."""
    if old_mask == new_mask:
        return
    day = paris_day(when)
    action = effective_action(old_mask, new_mask, ever_opposed=ever_opposed)
    deltas: dict[tuple[str, str], int] = {("action", action): 1}
    was_active, is_active = old_mask != 0, new_mask != 0
    if was_active != is_active:
        deltas[("active", "all")] = 1 if is_active else -1
    for purpose in Purpose:
        change = bool(new_mask & purpose.bit) - bool(old_mask & purpose.bit)
        if change:
            deltas[("purpose", purpose.code)] = change
    if action in ("filed", "refiled"):
        count_filing(session, day)  # the national daily curve beside campaign reach (not public)
        if identifier is not None:
            deltas[("age_sex", f"{identifier.sex}:{age_band(identifier, day)}")] = 1
    for (dimension, bucket), delta in deltas.items():
        add_to_counter(session, day, dimension, bucket, delta)


def add_to_counter(session: Session, day: dt.date, dimension: str, bucket: str, delta: int) -> None:
    """An atomic upsert, so two changes on the same day never race on a new row."""
    upsert(session, StatisticCounter, {"day": day, "dimension": dimension, "bucket": bucket, "count": delta},
           key=["day", "dimension", "bucket"], add=["count"])


def publish(count: int) -> int | None:
    """A count fit to publish, or None when it is under the threshold (shown as "<10").
    Exact: the campaign dashboards (not public) use it as it is; the public statistics go
    through ``publish_rounded``."""
    return count if count >= THRESHOLD else None


def round_count(count: int) -> int:
    """``count`` to the nearest multiple of ``ROUNDING`` (a count is never halfway: 5 is odd)."""
    return (count + ROUNDING // 2) // ROUNDING * ROUNDING


def publish_rounded(count: int) -> int | None:
    """The threshold on the exact count, then rounding: None under 10, else a multiple of 5."""
    return None if publish(count) is None else round_count(count)


def _rounded(value):
    """Round what survived suppression; None and ``MASKED`` stay as they are."""
    return value if value is None or value == MASKED else round_count(value)


@dataclass(frozen=True)
class MonthFigures:
    """One month (up to the last closed day): oppositions filed (first time or again), changed,
    withdrawn, and in force at the end of the month. Each is None when under the threshold,
    ``MASKED`` when hidden so that another count under the threshold cannot be derived from it,
    and otherwise rounded to the nearest ``ROUNDING``."""

    month: dt.date
    filed: int | None
    changed: int | None
    withdrawn: int | None
    active: int | None


@dataclass(frozen=True)
class PublishedStatistics:
    """Everything the public may see: closed days only (up to ``closed_until`` included), every
    count suppressed under the threshold and rounded to the nearest ``rounding``."""

    active: int | None
    months: list[MonthFigures] = field(default_factory=list)
    by_purpose: list[tuple[Purpose, int | None]] = field(default_factory=list)
    by_age_sex: list[tuple[str, dict[str, int | None]]] = field(default_factory=list)  # band -> sex -> count
    closed_until: dt.date | None = None  # the last day included: the day before ``today``
    rounding: int = ROUNDING
    synthetic: bool = False  # the figures include the demonstration history (never in production)


def published_statistics(session: Session, today: dt.date | None = None, *,
                         synthetic: bool = False) -> PublishedStatistics:
    """Read the counters of the closed days (strictly before ``today``, a Paris day, by default
    the current one), group them into months, suppress every count under the threshold and
    round the others to the nearest ``ROUNDING``. Suppression is decided on the exact counts.

    ``synthetic`` adds the demonstration history (``registry.statistics_demo``) to the real
    counters; without it, that history is never read."""
    today = today or paris_day(utcnow())
    query = select(StatisticCounter.day, StatisticCounter.dimension, StatisticCounter.bucket,
                   StatisticCounter.count).where(StatisticCounter.day < today)
    if not synthetic:
        query = query.where(StatisticCounter.dimension.not_like(f"{SYNTHETIC_PREFIX}%"))
    per_month: dict[dt.date, dict[tuple[str, str], int]] = {}
    totals: dict[tuple[str, str], int] = {}
    includes_synthetic = False
    for day, dimension, bucket, count in session.execute(query):
        if dimension.startswith(SYNTHETIC_PREFIX):
            dimension, includes_synthetic = dimension[len(SYNTHETIC_PREFIX):], True
        cells = per_month.setdefault(day.replace(day=1), {})
        cells[(dimension, bucket)] = cells.get((dimension, bucket), 0) + count
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
        months.append(MonthFigures(month, _rounded(filed), publish_rounded(cells.get(("action", "changed"), 0)),
                                   _rounded(withdrawn), publish_rounded(running)))
    exact_ages = {(band, sex): totals.get(("age_sex", f"{sex}:{band}"), 0) for band in AGE_BANDS for sex in SEXES}
    age_cells = {key: publish(count) for key, count in exact_ages.items()}
    _protect_lone_cell(age_cells, exact_ages)
    age_cells = {key: _rounded(value) for key, value in age_cells.items()}
    return PublishedStatistics(
        active=publish_rounded(totals.get(("active", "all"), 0)),
        months=months,
        by_purpose=[(p, publish_rounded(totals.get(("purpose", p.code), 0))) for p in Purpose],
        by_age_sex=[(band, {sex: age_cells[(band, sex)] for sex in SEXES}) for band in AGE_BANDS],
        closed_until=today - dt.timedelta(days=1),
        synthetic=includes_synthetic,
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
    "AGE_BANDS", "MASKED", "ROUNDING", "SEXES", "SYNTHETIC_PREFIX", "THRESHOLD", "add_to_counter", "MonthFigures", "PublishedStatistics",
    "StatisticCounter", "age_band", "effective_action", "publish", "publish_rounded", "published_statistics",
    "record_effective_change", "round_count",
]
