"""A synthetic history of the public statistics, for development and demonstrations only.

On an empty registry every published figure is under the threshold ("<10") and no chart has a
bar, so nobody can see what the statistics page is for. ``seed_synthetic_history`` writes about
eighteen months of made-up daily counters (a few thousand oppositions, slowly growing, with two
campaign peaks, a few changes and withdrawals) straight into the aggregates: there is no person
behind them, not even a synthetic one, and nothing else in the registry changes.

Its counters carry ``SYNTHETIC_PREFIX`` in their dimension, so they never add to a real count;
``published_statistics`` reads them only when asked to (the portal asks outside production) and
then says so (``PublishedStatistics.synthetic``), and the page labels the figures as such.
The history is drawn from a fixed seed: the same on every machine, written once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.dialect import upsert
from registry.purposes import Purpose
from registry.statistics import AGE_BANDS, SEXES, SYNTHETIC_PREFIX, StatisticCounter, effective_action

MONTHS = 18
SEED = 2026
# Shares of the oppositions filed, by age band at filing (a younger, connected public files
# online first) and of each purpose among partial oppositions (AI and product development most).
AGE_WEIGHTS = (0.08, 0.17, 0.27, 0.23, 0.17, 0.08)
PURPOSE_WEIGHTS = {
    Purpose.AI: 0.75, Purpose.INNOVATION: 0.6, Purpose.RESEARCH: 0.25, Purpose.CARE_IMPROVEMENT: 0.15,
    Purpose.EDUCATION: 0.15, Purpose.STATISTICS: 0.1, Purpose.POLICY: 0.2, Purpose.PUBLIC_HEALTH: 0.1,
}
ALL_PURPOSES = sum(p.bit for p in Purpose)


def has_synthetic_history(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(StatisticCounter).where(
        StatisticCounter.dimension.like(f"{SYNTHETIC_PREFIX}%"))) > 0


def _first_day(today: dt.date, months: int) -> dt.date:
    month_index = today.year * 12 + today.month - 1 - months
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def _daily_filings(rng: random.Random, index: int, days: int) -> int:
    """About 2 a day at first, 9 at the end, three times more during two campaign weeks."""
    base = 2 + 7 * index / days
    if any(0 <= index - peak < 7 for peak in (days // 3, 3 * days // 4)):
        base *= 3
    return max(0, round(rng.gauss(base, base ** 0.5)))


def _partial_mask(rng: random.Random) -> int:
    mask = sum(p.bit for p, share in PURPOSE_WEIGHTS.items() if rng.random() < share)
    return mask or Purpose.AI.bit


def synthetic_counters(today: dt.date, months: int = MONTHS, seed: int = SEED) -> Counter:
    """The history's cells, (day, dimension, bucket) -> count, for the days from the first of the
    month ``months`` before ``today``'s to yesterday. Each made-up person is a mask of purposes
    and counts exactly as ``record_effective_change`` would count their changes."""
    rng = random.Random(seed)
    cells: Counter = Counter()
    active: list[int] = []  # the made-up oppositions in force, as purpose masks
    ever = 0  # how many withdrew and may file again
    first = _first_day(today, months)
    days = (today - first).days

    def change(day: dt.date, old: int, new: int, *, ever_opposed: bool = False) -> None:
        action = effective_action(old, new, ever_opposed=ever_opposed)
        cells[(day, "action", action)] += 1
        if bool(old) != bool(new):
            cells[(day, "active", "all")] += 1 if new else -1
        for purpose in Purpose:
            delta = bool(new & purpose.bit) - bool(old & purpose.bit)
            if delta:
                cells[(day, "purpose", purpose.code)] += delta
        if action in ("filed", "refiled"):
            band = rng.choices(AGE_BANDS, AGE_WEIGHTS)[0]
            sex = SEXES[rng.random() < 0.47]  # slightly more women than men file
            cells[(day, "age_sex", f"{sex}:{band}")] += 1

    for index in range(days):
        day = first + dt.timedelta(days=index)
        for _ in range(_daily_filings(rng, index, days)):
            refiling = ever > 0 and rng.random() < 0.05
            mask = ALL_PURPOSES if rng.random() < 0.6 else _partial_mask(rng)
            change(day, 0, mask, ever_opposed=refiling)
            ever -= refiling
            active.append(mask)
        withdrawals = 0.5 + 0.0004 * len(active)  # a few a week, more as more people oppose
        for _ in range(min(len(active), max(0, round(rng.gauss(withdrawals, withdrawals ** 0.5))))):
            change(day, active.pop(rng.randrange(len(active))), 0)
            ever += 1
        if active and rng.random() < 0.5:  # someone adds or removes a purpose
            position = rng.randrange(len(active))
            old = active[position]
            new = old ^ rng.choice(list(Purpose)).bit or old
            if new != old:
                change(day, old, new)
                active[position] = new
    return cells


def seed_synthetic_history(session: Session, today: dt.date, months: int = MONTHS) -> int:
    """Write the history once (nothing when it is already there); return how many made-up
    oppositions it files. The caller refuses it in production and commits."""
    if has_synthetic_history(session):
        return 0
    cells = synthetic_counters(today, months)
    upsert(session, StatisticCounter, [
        {"day": day, "dimension": f"{SYNTHETIC_PREFIX}{dimension}", "bucket": bucket, "count": count}
        for (day, dimension, bucket), count in sorted(cells.items()) if count],
        key=["day", "dimension", "bucket"], add=["count"])
    return sum(count for (_, dimension, bucket), count in cells.items()
               if dimension == "action" and bucket in ("filed", "refiled"))
