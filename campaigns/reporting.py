"""What the campaign dashboard may show: counts already suppressed under the threshold.

Every count leaves this module through ``registry.statistics.publish``: a count under 10 becomes
None, which pages and exports show as "<10". Sums are made on the raw counters first, then
suppressed, so a total is never rebuilt from suppressed cells. Because the campaign's total is
shown beside its placements, a hidden cell could be found by subtraction (total minus the shown
cells): when the hidden cells of a row add up to less than 10, the smallest shown cells are
hidden too until they do (secondary suppression). Measured arrivals and the reach a placement's
owner declares are reported side by side, never added together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import STEPS, UNIQUE_VISITORS, Campaign, DailyFilingCounter, Placement, ReachCounter
from registry.statistics import THRESHOLD, publish


@dataclass(frozen=True)
class StepCount:
    step: str
    count: int | None  # None: under the threshold


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    count: int | None


@dataclass(frozen=True)
class PlacementReport:
    """One placement: its declared reach as given, its measured funnel suppressed."""

    placement: Placement
    declared_reach: int | None
    funnel: list[StepCount]
    unique_visitors: int | None
    arrivals_by_day: list[DayCount]

    @property
    def arrivals(self) -> int | None:
        return self.funnel[0].count


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    funnel: list[StepCount]
    arrivals_by_day: list[DayCount]
    placements: list[PlacementReport] = field(default_factory=list)
    declared_reach: int | None = None  # the sum of what the placements declare (not measured)
    threshold: int = THRESHOLD


def protect(counts: list[int]) -> list[int | None]:
    """The cells of a row whose total is published: each under the threshold hidden, and more
    hidden (the smallest first) while the hidden ones add up to less than the threshold, so no
    cell can be found from the total and the others. Hidden cells that are all zero reveal
    nobody and need no cover."""
    shown: list[int | None] = [publish(count) for count in counts]
    hidden = sum(count for count, cell in zip(counts, shown) if cell is None)
    for index in sorted(range(len(counts)), key=counts.__getitem__):
        if not 0 < hidden < THRESHOLD:
            break
        if shown[index] is not None:
            shown[index] = None
            hidden += counts[index]
    return shown


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def campaign_report(session: Session, campaign: Campaign) -> CampaignReport:
    """The dashboard of one campaign: the funnel, arrivals per day (from the first counted day to
    the last, without gaps), per campaign and per placement."""
    placement_ids = [p.id for p in campaign.placements]
    rows = session.execute(
        select(ReachCounter.placement_id, ReachCounter.day, ReachCounter.step, ReachCounter.count)
        .where(ReachCounter.placement_id.in_(placement_ids))
    ).all() if placement_ids else []
    totals: dict[tuple[int, str], int] = {}
    daily: dict[tuple[int, dt.date], int] = {}
    for placement_id, day, step, count in rows:
        totals[(placement_id, step)] = totals.get((placement_id, step), 0) + count
        if step == "arrival":
            daily[(placement_id, day)] = daily.get((placement_id, day), 0) + count
    days = _days(min(d for _, d in daily), max(d for _, d in daily)) if daily else []

    # each row (a step, a day) across the placements, protected against subtraction from its total
    by_step = {step: protect([totals.get((pid, step), 0) for pid in placement_ids]) for step in STEPS}
    by_day = {day: protect([daily.get((pid, day), 0) for pid in placement_ids]) for day in days}
    placements = []
    for index, placement in enumerate(campaign.placements):
        placements.append(PlacementReport(
            placement=placement,
            declared_reach=placement.declared_reach,
            funnel=[StepCount(step, by_step[step][index]) for step in STEPS],
            unique_visitors=publish(totals.get((placement.id, UNIQUE_VISITORS), 0)),
            arrivals_by_day=[DayCount(day, by_day[day][index]) for day in days],
        ))
    declared = [p.declared_reach for p in campaign.placements if p.declared_reach is not None]
    return CampaignReport(
        campaign=campaign,
        funnel=[StepCount(step, publish(sum(totals.get((pid, step), 0) for pid in placement_ids))) for step in STEPS],
        arrivals_by_day=[DayCount(day, publish(sum(daily.get((pid, day), 0) for pid in placement_ids))) for day in days],
        placements=placements,
        declared_reach=sum(declared) if declared else None,
    )


def national_filings_by_day(session: Session, since: dt.date | None = None) -> list[DayCount]:
    """Oppositions filed in the whole country per day (suppressed), never split by campaign."""
    query = select(DailyFilingCounter.day, DailyFilingCounter.count).order_by(DailyFilingCounter.day)
    if since is not None:
        query = query.where(DailyFilingCounter.day >= since)
    return [DayCount(day, publish(count)) for day, count in session.execute(query)]


def csv_rows(report: CampaignReport) -> list[list[str]]:
    """The export: one row per placement, day and step, each count suppressed as on the page."""
    rows = [["campaign", "placement", "channel", "day", "step", "count"]]
    for placement_report in report.placements:
        placement = placement_report.placement
        for day_count in placement_report.arrivals_by_day:
            rows.append([report.campaign.slug, placement.code, placement.channel, day_count.day.isoformat(),
                         "arrival", shown(day_count.count)])
        for step_count in placement_report.funnel:
            rows.append([report.campaign.slug, placement.code, placement.channel, "total", step_count.step,
                         shown(step_count.count)])
        rows.append([report.campaign.slug, placement.code, placement.channel, "total", "declared_reach",
                     "" if placement.declared_reach is None else str(placement.declared_reach)])
    return rows


def shown(count: int | None) -> str:
    """How a suppressed count is written: the number, or "<10"."""
    return f"<{THRESHOLD}" if count is None else str(count)
