"""Reading the audit trail for people who oversee the registry: filters, pages, export.

Separate from ``registry.audit`` (which writes and verifies the chain) because reading has
other needs: newest first, a stable cursor for pages (``before`` a sequence number), and a
stream for exports that never holds the whole trail in memory. A search by actor finds a
warehouse client's events in every form events have named it by (``actor_forms``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from registry.audit import WAREHOUSE_ACTOR, warehouse_actor
from registry.models import AuditEvent
from registry.warehouses import Warehouse

_OLD_WAREHOUSE_ACTOR = "warehouse_id:"  # how a job's end named its warehouse before ``warehouse_actor``

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """Events whose action starts with ``action``, by ``actor``, on ``target``, between two days
    (both included, in UTC). Empty fields do not filter."""

    action: str | None = None
    actor: str | None = None
    target: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in vars(self).items() if v}


def actor_forms(session: Session, actor: str) -> list[str]:
    """Every form stored events may give ``actor`` in. A warehouse client is named
    ``warehouse:<client id>`` (``registry.audit.warehouse_actor``); events written before that
    was the only form name it ``warehouse_id:<id>`` or ``warehouse:<id>`` by its warehouse's
    number. Stored events are never rewritten (the hash chain), so a search asks for all three,
    whichever of them it was given; any other actor is itself alone."""
    prefix = next((p for p in (WAREHOUSE_ACTOR, _OLD_WAREHOUSE_ACTOR) if actor.startswith(p)), None)
    rest = actor[len(prefix):] if prefix else ""
    if rest.isascii() and rest.isdigit() and len(rest) <= 9:  # a warehouse's number (client ids are "rno_" + hex)
        which = Warehouse.id == int(rest)
    elif prefix == WAREHOUSE_ACTOR and rest:
        which = Warehouse.client_id == rest
    else:
        return [actor]
    found = session.execute(select(Warehouse.id, Warehouse.client_id).where(which)).first()
    if found is None:
        return [actor]
    return warehouse_actor_forms(*found)


def warehouse_actor_forms(number: int, client_id: str) -> list[str]:
    """The three forms a warehouse's events may carry: the current one first."""
    return [warehouse_actor(client_id), f"{_OLD_WAREHOUSE_ACTOR}{number}", f"{WAREHOUSE_ACTOR}{number}"]


def _filtered(session: Session, criteria: AuditFilter) -> Select:
    query = select(AuditEvent)
    if criteria.action:
        query = query.where(AuditEvent.action.startswith(criteria.action, autoescape=True))
    if criteria.actor:
        query = query.where(AuditEvent.actor.in_(actor_forms(session, criteria.actor)))
    if criteria.target:
        query = query.where(AuditEvent.target == criteria.target)
    if criteria.since:
        start = dt.datetime.combine(criteria.since, dt.time(), dt.timezone.utc)
        query = query.where(AuditEvent.occurred_at >= start)
    if criteria.until and criteria.until < dt.date.max:  # up to the calendar's last day: no end
        end = dt.datetime.combine(criteria.until + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        query = query.where(AuditEvent.occurred_at < end)
    return query


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # pass as ``before`` for the next (older) page


def search_events(session: Session, criteria: AuditFilter, *, before: int | None = None,
                  page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of matching events, newest first; ``before`` (a sequence number, which fits the
    32-bit column: the caller bounds what it reads) starts the page below it."""
    query = _filtered(session, criteria)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    events = list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(page_size + 1)))
    more = len(events) > page_size
    events = events[:page_size]
    return AuditPage(events, events[-1].seq if more and events else None)


def stream_events(session: Session, criteria: AuditFilter, *, batch_size: int = 1000) -> Iterator[AuditEvent]:
    """Every matching event, oldest first, in batches (for exports)."""
    result = session.scalars(_filtered(session, criteria).order_by(AuditEvent.seq).execution_options(yield_per=batch_size))
    with result:
        yield from result
