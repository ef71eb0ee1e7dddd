"""Tables of the awareness campaigns. None of them can hold a person, a visit or a device.

A ``Campaign`` carries its own content per locale (Markdown, sanitised when rendered) because
campaign pages are data written by campaign managers, not catalogue strings. A ``Placement`` is
one way a campaign reaches people (a poster, an email, a radio spot) with its short code for
``/c/<code>`` and the reach its owner declares offline, kept apart from what is measured.

Measured reach lives only in aggregate rows: ``ReachCounter`` (placement, day, step, count) and
``registry.daily_filings.DailyFilingCounter`` (day, count), the national count of oppositions
filed, kept by the registry at every filing and never naming a campaign. No table has a column for an address, a user agent, a cookie or a visit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.daily_filings import DailyFilingCounter  # noqa: F401  (counted by the registry at filing)
from registry.models import Base, UTCDateTime, utcnow

AUDIENCES = ("citizens", "professionals")
CHANNELS = ("qr_poster", "email", "social", "radio", "press", "partner", "event")
LOCALES = ("fr", "en")
STEPS = ("arrival", "lesson_viewed", "quiz_started", "quiz_completed", "quiz_passed")
UNIQUE_VISITORS = "unique_visitors"  # a counter kept only when the setting enables it


class Campaign(Base):
    """An awareness campaign: who it speaks to, when it runs, and its page in each language."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    audience: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_fr: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    placements: Mapped[list["Placement"]] = relationship(
        back_populates="campaign", order_by="Placement.id", cascade="all, delete-orphan"
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_fr

    def body(self, locale: str) -> str:
        return self.body_en if locale == "en" else self.body_fr

    def __repr__(self) -> str:
        return f"Campaign(id={self.id}, slug={self.slug!r})"


class Placement(Base):
    """Where a campaign meets people; ``declared_reach`` is the owner's figure, never measured."""

    __tablename__ = "campaign_placements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(2), default="fr")
    declared_reach: Mapped[int | None] = mapped_column(Integer)
    declared_reach_note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="placements")

    def __repr__(self) -> str:
        return f"Placement(id={self.id}, code={self.code!r})"


class ReachCounter(Base):
    """How many times one funnel step happened through one placement on one day; nothing more."""

    __tablename__ = "campaign_reach_counters"
    __table_args__ = (UniqueConstraint("placement_id", "day", "step", name="uq_campaign_reach_counters_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("campaign_placements.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    step: Mapped[str] = mapped_column(String(24))
    count: Mapped[int] = mapped_column(Integer, default=0)
