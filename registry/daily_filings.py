"""Oppositions filed in the whole country, per day: one counter row a day, nothing else.

Campaign dashboards set this curve beside their arrivals; it is counted here, where every
filing passes whatever its channel (online, counter, phone, post), and it is never split by
campaign, placement or anything about the person. Days are Paris days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.dialect import upsert
from registry.models import Base

PARIS = ZoneInfo("Europe/Paris")


class DailyFilingCounter(Base):
    """Oppositions filed (first time or again after a withdrawal) in the country on one day."""

    __tablename__ = "daily_filing_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def paris_day(when: dt.datetime) -> dt.date:
    return when.astimezone(PARIS).date()


def count_filing(session: Session, day: dt.date) -> None:
    """Add one filing to ``day`` with an atomic upsert (in the caller's transaction)."""
    upsert(session, DailyFilingCounter, {"day": day, "count": 1}, key=["day"], add=["count"])
