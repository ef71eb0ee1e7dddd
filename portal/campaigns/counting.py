"""The bridge between a request and the reach counters: what a request may count, and the day.

The request's method and headers are handed to ``campaigns.reach.should_count`` and then
forgotten; the address and user agent are read only when daily unique visitors are enabled
(``CAMPAIGN_UNIQUE_VISITORS``), and then only to feed the in-memory daily digest set.
Days are counted in Paris time, the day a campaign manager reads on their calendar.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, request
from sqlalchemy.orm import Session

from campaigns.models import UNIQUE_VISITORS, Placement
from campaigns.reach import UniqueVisitors, add_to_counter, count_step, should_count

PARIS = ZoneInfo("Europe/Paris")


def today() -> dt.date:
    return dt.datetime.now(PARIS).date()


def request_may_be_counted() -> bool:
    return should_count(request.method, request.headers)


def count_arrival(session: Session, placement: Placement) -> bool:
    """Count one arrival through ``placement`` when this request may be counted (and a first
    visit of the day, when daily unique visitors are enabled). The caller commits."""
    if not request_may_be_counted():
        return False
    day = today()
    add_to_counter(session, placement.id, "arrival", day)
    if current_app.config["CAMPAIGN_UNIQUE_VISITORS"]:
        visitors: UniqueVisitors = current_app.extensions["campaign_unique_visitors"]
        if visitors.first_visit_today(placement.id, request.remote_addr or "", request.user_agent.string, day):
            add_to_counter(session, placement.id, UNIQUE_VISITORS, day)
    return True


def count_funnel_step(session: Session, placement_code: str | None, step: str) -> bool:
    """For the literacy modules: count ``step`` (lesson_viewed, quiz_started, quiz_completed,
    quiz_passed) for the placement whose code came with this request, if it may be counted.
    The caller commits, and drops the code from the next URL."""
    if not placement_code or not request_may_be_counted():
        return False
    return count_step(session, placement_code, step, today())
