"""Aggregates are kept 25 months, then dropped: long enough to compare two years of campaigns
month by month, short enough that nothing is kept without a use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from campaigns.models import DailyFilingCounter, ReachCounter

RETENTION_MONTHS = 25


def retention_cutoff(today: dt.date, months: int = RETENTION_MONTHS) -> dt.date:
    """The first day still kept: ``today`` moved back ``months`` months (clamped to the month's end)."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def purge_old_aggregates(session: Session, today: dt.date) -> int:
    """Delete the reach and filing counters of days before the cutoff; return how many rows went."""
    cutoff = retention_cutoff(today)
    removed = session.execute(delete(ReachCounter).where(ReachCounter.day < cutoff)).rowcount
    removed += session.execute(delete(DailyFilingCounter).where(DailyFilingCounter.day < cutoff)).rowcount
    session.flush()
    return removed
