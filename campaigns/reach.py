"""Reach, counted on the server as daily aggregates and nothing else.

What a request may add is one to one counter cell (placement, day, step). Nothing is read from
or written to the visitor's device and no visit is stored. The web layer hands this module the
request method and headers; they are looked at here, in memory, and dropped:

* link prefetchers and previews (``Sec-Purpose``/``Purpose: prefetch``, ``X-Moz: prefetch``...),
  ``HEAD`` requests, and bots (a user agent naming itself a bot, crawler, spider, preview or a
  known link unfurler) are not counted;
* a visitor who asks not to be tracked (``Sec-GPC: 1`` or ``DNT: 1``) is served but not counted.

Daily unique visitors are off unless a setting enables them; then ``UniqueVisitors`` keeps, in
memory only, a salt drawn at random for the day and the keyed digests seen that day; at the next
day both are thrown away, so no digest can be linked across days and nothing reaches storage.

The counters are upserts, so concurrent arrivals on one placement never race on a new row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns.errors import UnknownStep
from campaigns.models import STEPS, UNIQUE_VISITORS, Placement, ReachCounter
from registry.daily_filings import count_filing  # noqa: F401  (the registry counts filings itself)

_BOT = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|skypeuripreview|"
    r"headless|lighthouse|curl|wget|python-requests|httpclient|monitor|pingdom|scan",
    re.IGNORECASE,
)
_PREFETCH_HEADERS = (("sec-purpose", "prefetch"), ("purpose", "prefetch"), ("x-purpose", "preview"),
                     ("x-purpose", "prefetch"), ("x-moz", "prefetch"))


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def is_prefetch(method: str, headers: Mapping[str, str]) -> bool:
    """A request made ahead of a click (or a HEAD), which is not an arrival."""
    if method.upper() != "GET":
        return True
    lowered = _lower(headers)
    return any(wanted in lowered.get(name, "").lower() for name, wanted in _PREFETCH_HEADERS)


def is_bot(headers: Mapping[str, str]) -> bool:
    """A user agent that is missing or names itself a robot."""
    agent = _lower(headers).get("user-agent", "").strip()
    return not agent or bool(_BOT.search(agent))


def asks_not_to_be_tracked(headers: Mapping[str, str]) -> bool:
    """Global Privacy Control or Do Not Track: served, never counted."""
    lowered = _lower(headers)
    return lowered.get("sec-gpc", "").strip() == "1" or lowered.get("dnt", "").strip() == "1"


def should_count(method: str, headers: Mapping[str, str]) -> bool:
    """Whether this request may add one to a counter at all."""
    return not (is_prefetch(method, headers) or is_bot(headers) or asks_not_to_be_tracked(headers))


def find_placement(session: Session, code: str) -> Placement | None:
    """The placement behind a vanity code (codes are case-insensitive)."""
    return session.scalar(select(Placement).where(Placement.code == (code or "").strip().lower()))


def add_to_counter(session: Session, placement_id: int, step: str, day: dt.date, amount: int = 1) -> None:
    """Add to one (placement, day, step) cell with one atomic upsert; flushes nothing else."""
    if step not in STEPS and step != UNIQUE_VISITORS:
        raise UnknownStep()
    table = ReachCounter.__table__
    statement = _insert(session, table).values(placement_id=placement_id, day=day, step=step, count=amount)
    statement = statement.on_conflict_do_update(
        index_elements=["placement_id", "day", "step"], set_={"count": table.c.count + statement.excluded.count}
    )
    session.execute(statement)


def count_step(session: Session, placement_code: str, step: str, day: dt.date) -> bool:
    """Count one funnel step (arrival, lesson viewed, quiz started, completed, passed) reached
    through the placement named by ``placement_code``; False when no placement has that code.
    The caller has already decided, with ``should_count``, that the request may be counted."""
    if step not in STEPS:
        raise UnknownStep()
    placement = find_placement(session, placement_code)
    if placement is None:
        return False
    add_to_counter(session, placement.id, step, day)
    return True


def _insert(session: Session, table):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class UniqueVisitors:
    """Daily unique visitors per placement, from a salt that lives in memory for one day.

    ``first_visit_today`` answers whether (placement, address, user agent) was already seen
    today by this process. The salt is random, drawn when the day starts, and never written;
    the set of digests is dropped with it at the next day. Several processes each keep their
    own set, so the count is an upper bound when the portal runs on several workers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._salt = b""
        self._seen: set[bytes] = set()

    def first_visit_today(self, placement_id: int, address: str, user_agent: str, day: dt.date) -> bool:
        with self._lock:
            if day != self._day:
                self._day, self._salt, self._seen = day, secrets.token_bytes(32), set()
            message = f"{placement_id}\n{address}\n{user_agent}".encode()
            digest = hmac.new(self._salt, message, hashlib.sha256).digest()[:16]
            if digest in self._seen:
                return False
            self._seen.add(digest)
            return True

    def forget(self) -> None:
        """Drop the salt and the digests now (used when the setting is turned off)."""
        with self._lock:
            self._day, self._salt, self._seen = None, b"", set()
