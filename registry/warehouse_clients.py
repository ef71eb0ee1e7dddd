"""The warehouse clients as the compliance board shows them: each client with its lookups per
day, its last check of the registry, and the acknowledgements it sent after private-mode runs
(counts only: in that mode the registry cannot see which people matched, so the warehouse's own
report is what the board can show); and the board's actions on them (create, rotate the secret,
disable), whose secrets come back once and are never stored.

Activity is read from the audit trail, where every API call is recorded with the actor
``warehouse:<client id>`` (older events name the warehouse by its number: both are counted). Like every service here, these functions take the session and never
commit: the board's request does.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit import warehouse_actor
from registry.audit_search import warehouse_actor_forms
from registry.models import AuditEvent, utcnow
from registry.private_quota import latest_acknowledgements
from registry.warehouses import Warehouse, create_warehouse, disable_warehouse, rotate_secret

ACTIVITY_DAYS = 7
PRIVATE_RUNS_SHOWN = 3


@dataclass(frozen=True)
class PrivateRun:
    """What a warehouse acknowledged after a private-mode run."""

    received_at: dt.datetime
    purpose: str
    cohort_size: int
    opposed_count: int
    filter_version: int


@dataclass(frozen=True)
class ClientSummary:
    """One line of the board."""

    client_id: str
    name: str
    active: bool
    created_at: dt.datetime
    last_check: dt.datetime | None = None
    lookups_per_day: list[tuple[dt.date, int, int]] = field(default_factory=list)  # day, calls, identifiers
    private_runs: list[PrivateRun] = field(default_factory=list)  # latest first


def api_activity(session: Session, client_ids: list[str], days: int = ACTIVITY_DAYS):
    """Per client: the time of its latest API call, and per day over ``days`` days its calls and
    the identifiers they checked (the ``calls`` and ``identifiers`` counts each lookup event records)."""
    if not client_ids:
        return {}
    numbers = session.execute(select(Warehouse.id, Warehouse.client_id).where(Warehouse.client_id.in_(client_ids)))
    actors = {warehouse_actor(client_id): client_id for client_id in client_ids}
    actors.update({form: client_id for number, client_id in numbers for form in warehouse_actor_forms(number, client_id)})
    last: dict[str, dt.datetime] = {}  # per client, whichever form its events carry
    for actor, occurred_at in session.execute(
        select(AuditEvent.actor, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.actor.in_(actors), AuditEvent.action.startswith("api."))
        .group_by(AuditEvent.actor)
    ):
        client_id = actors[actor]
        if client_id not in last or occurred_at > last[client_id]:
            last[client_id] = occurred_at
    since = utcnow() - dt.timedelta(days=days)
    per_day: dict[str, dict[dt.date, list[int]]] = {}
    for actor, occurred_at, details in session.execute(
        select(AuditEvent.actor, AuditEvent.occurred_at, AuditEvent.details)
        .where(AuditEvent.actor.in_(actors), AuditEvent.action.startswith("api."), AuditEvent.occurred_at >= since)
    ):
        day = per_day.setdefault(actors[actor], {}).setdefault(occurred_at.date(), [0, 0])
        values = json.loads(details or "{}")
        calls = values.get("calls", 1)  # lookups are audited in groups, with their number of calls
        day[0] += calls if isinstance(calls, int) else 1
        identifiers = values.get("identifiers", 0)
        day[1] += identifiers if isinstance(identifiers, int) else 0
    return {
        client_id: (last.get(client_id), [(d, c, n) for d, (c, n) in sorted(per_day.get(client_id, {}).items())])
        for client_id in client_ids
    }


def list_clients(session: Session) -> list[ClientSummary]:
    """Every warehouse client by name, with its activity; a private run counts as a check."""
    warehouses = list(session.scalars(select(Warehouse).order_by(Warehouse.name)))
    activity = api_activity(session, [w.client_id for w in warehouses])
    summaries = []
    for w in warehouses:
        last, per_day = activity.get(w.client_id, (None, []))
        runs = [PrivateRun(a.received_at, a.purpose, a.cohort_size, a.opposed_count, a.filter_version)
                for a in latest_acknowledgements(session, w.id, PRIVATE_RUNS_SHOWN)]
        if runs and (last is None or runs[0].received_at > last):
            last = runs[0].received_at  # a private run is a check of the registry too
        summaries.append(ClientSummary(w.client_id, w.name, w.active, w.created_at, last, per_day, runs))
    return summaries


def is_stale(client: ClientSummary, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """An active client that never checked, or not for longer than ``stale_after``."""
    reference = client.last_check or client.created_at
    return client.active and now - reference > stale_after


def create(session: Session, name: str, actor: str) -> tuple[str, str]:
    """A new client: its id and its secret, shown once."""
    credentials = create_warehouse(session, name, actor=actor)
    return credentials.client_id, credentials.client_secret


def rotate(session: Session, client_id: str, actor: str) -> tuple[str, str]:
    """A new secret for the client, shown once; the old one stops working."""
    credentials = rotate_secret(session, client_id, actor=actor)
    return credentials.client_id, credentials.client_secret


def disable(session: Session, client_id: str, actor: str) -> None:
    """The client's tokens are refused from now on."""
    disable_warehouse(session, client_id, actor=actor)
