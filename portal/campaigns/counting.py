"""The bridge between a request and the reach counters: what a request may count, and the day.

The request's method and headers are handed to ``campaigns.reach.should_count`` and then
forgotten; the address and user agent are read only when daily unique visitors are enabled
(``CAMPAIGN_UNIQUE_VISITORS``), and then only to feed the in-memory daily digest set.
Days are counted in Paris time, the day a campaign manager reads on their calendar.

The funnel after the arrival (lesson viewed, quiz started, completed, passed) is counted from the
placement code that the visit carries in its links: ``/c/<code>`` sends the visitor to the
campaign page with ``?via=<code>``, the page's links to the modules keep it, and so do the
module's links and the quiz form (a hidden field). It is the code printed on the poster, the same
for everyone who came that way, never an identifier of the visitor, and nothing is kept on the
device. A code that names no placement counts nothing; a malformed one is dropped at once.

What a step counts, so that one visit adds one to each step and no more than a reload would
(the arrival's own rule): the lesson step when the module's first lesson is shown, the quiz's
start when its page is shown, its completion and pass when answers are accepted (once per drawn
quiz: the draw is spent).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import current_app, request
from sqlalchemy.orm import Session

from campaigns.models import UNIQUE_VISITORS, Placement
from campaigns.reach import UniqueVisitors, add_to_counter, asks_not_to_be_tracked, count_step, is_bot, should_count

PARIS = ZoneInfo("Europe/Paris")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")  # what a placement code may look like


def today() -> dt.date:
    return dt.datetime.now(PARIS).date()


def request_may_be_counted() -> bool:
    """A page shown (GET) by the prefetch, robot and do-not-track rules; a form sent (the quiz's
    answers, POST) by the robot and do-not-track rules, since no browser prefetches a POST."""
    if request.method == "POST":
        return not (is_bot(request.headers) or asks_not_to_be_tracked(request.headers))
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


def carried_code() -> str | None:
    """The placement code this request carries (``via`` in the address or the form), when it
    has the shape of one; anything else is dropped and not carried further."""
    value = request.values.get("via", "")
    code = value.strip().lower() if isinstance(value, str) else ""
    return code if _CODE.match(code) else None


def count_funnel_step(session: Session, step: str) -> bool:
    """For the literacy modules: count ``step`` (lesson_viewed, quiz_started, quiz_completed,
    quiz_passed) for the placement whose code this request carries, if it may be counted.
    A code that names no placement counts nothing. The caller commits."""
    code = carried_code()
    if code is None or not request_may_be_counted():
        return False
    return count_step(session, code, step, today())
