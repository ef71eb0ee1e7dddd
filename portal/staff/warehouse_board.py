"""The warehouse compliance board (registry administrators): list, create, rotate the secret,
disable warehouse clients, with each one's lookups per day, its last check of the registry, and
the acknowledgements it sent after private-mode runs (counts only: in that mode the registry
cannot see which people matched, so the warehouse's own report is what the board can show).

The warehouse clients live in ``registry.warehouses``, built separately from the back-office.
The board talks to them through ``WarehouseDirectory``, a small interface: the default one is
built on that module when it is installed (``app.extensions["warehouse_directory"]`` may hold
another). Activity is read from the audit trail, where every API call is recorded with the
actor ``warehouse:<client id>``. Without the module the board says so instead of pretending.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
from dataclasses import dataclass, field
from typing import Protocol

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.contact import unanswered_messages
from registry.db import unit_of_work
from registry.errors import RegistryError
from registry.freshness import validity
from registry.models import AuditEvent, utcnow
from registry.private_quota import latest_acknowledgements

from portal.database import db
from portal.staff import bp
from portal.staff.forms import ActionForm, WarehouseForm
from portal.staff.session import current_staff, staff_required

ACTIVITY_DAYS = 7
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,48}", re.ASCII).fullmatch
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
    client_id: str
    name: str
    active: bool
    created_at: dt.datetime
    last_check: dt.datetime | None = None
    lookups_per_day: list[tuple[dt.date, int, int]] = field(default_factory=list)  # day, calls, identifiers
    private_runs: list[PrivateRun] = field(default_factory=list)  # latest first


class WarehouseDirectory(Protocol):
    """What the board needs from the warehouse clients; secrets come back once, never stored."""

    def list_clients(self, session: Session) -> list[ClientSummary]: ...
    def create(self, session: Session, name: str, actor: str) -> tuple[str, str]: ...
    def rotate(self, session: Session, client_id: str, actor: str) -> tuple[str, str]: ...
    def disable(self, session: Session, client_id: str, actor: str) -> None: ...


def api_activity(session: Session, client_ids: list[str], days: int = ACTIVITY_DAYS):
    """Per client: the time of its latest API call, and per day over ``days`` days its calls and
    the identifiers they checked (the ``calls`` and ``identifiers`` counts each lookup event records)."""
    actors = {f"warehouse:{client_id}": client_id for client_id in client_ids}
    if not actors:
        return {}
    last = dict(session.execute(
        select(AuditEvent.actor, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.actor.in_(actors), AuditEvent.action.startswith("api."))
        .group_by(AuditEvent.actor)
    ).all())
    since = utcnow() - dt.timedelta(days=days)
    per_day: dict[str, dict[dt.date, list[int]]] = {}
    for actor, occurred_at, details in session.execute(
        select(AuditEvent.actor, AuditEvent.occurred_at, AuditEvent.details)
        .where(AuditEvent.actor.in_(actors), AuditEvent.action.startswith("api."), AuditEvent.occurred_at >= since)
    ):
        day = per_day.setdefault(actor, {}).setdefault(occurred_at.date(), [0, 0])
        values = json.loads(details or "{}")
        calls = values.get("calls", 1)  # lookups are audited in groups, with their number of calls
        day[0] += calls if isinstance(calls, int) else 1
        identifiers = values.get("identifiers", 0)
        day[1] += identifiers if isinstance(identifiers, int) else 0
    return {
        client_id: (last.get(actor), [(d, c, n) for d, (c, n) in sorted(per_day.get(actor, {}).items())])
        for actor, client_id in actors.items()
    }


class RegistryWarehouseDirectory:
    """The directory over ``registry.warehouses``."""

    def __init__(self, module) -> None:
        self.module = module

    def list_clients(self, session: Session) -> list[ClientSummary]:
        warehouses = list(session.scalars(select(self.module.Warehouse).order_by(self.module.Warehouse.name)))
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

    def create(self, session: Session, name: str, actor: str) -> tuple[str, str]:
        credentials = self.module.create_warehouse(session, name, actor=actor)
        return credentials.client_id, credentials.client_secret

    def rotate(self, session: Session, client_id: str, actor: str) -> tuple[str, str]:
        credentials = self.module.rotate_secret(session, client_id, actor=actor)
        return credentials.client_id, credentials.client_secret

    def disable(self, session: Session, client_id: str, actor: str) -> None:
        self.module.disable_warehouse(session, client_id, actor=actor)


def warehouse_directory() -> WarehouseDirectory | None:
    directory = current_app.extensions.get("warehouse_directory")
    if directory is not None:
        return directory
    try:
        module = importlib.import_module("registry.warehouses")
    except ImportError:
        return None
    return RegistryWarehouseDirectory(module)


def is_stale(client: ClientSummary, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """An active client that never checked, or not for longer than ``stale_after``."""
    reference = client.last_check or client.created_at
    return client.active and now - reference > stale_after


@bp.get("/entrepots")
@staff_required("registry_admin")
def warehouses():
    return _board()


def _board(form: WarehouseForm | None = None, credentials: tuple[str, str] | None = None, status: int = 200):
    directory = warehouse_directory()
    clients, stale, never_used = [], set(), set()
    if directory is not None:
        now = utcnow()
        stale_after = validity(current_app.config["ANSWER_VALIDITY_DAYS"])  # answers older than this
        clients = directory.list_clients(db.session())
        stale = {c.client_id for c in clients if is_stale(c, now, stale_after)}
        never_used = {c.client_id for c in clients if c.last_check is None}  # not one check yet
    return render_template(
        "staff/warehouses.html", available=directory is not None, clients=clients, stale=stale,
        never_used=never_used,
        form=form or WarehouseForm(), action_form=ActionForm(), credentials=credentials,
        backlog=unanswered_messages(db.session()),  # contact messages no agent has handled yet
        stale_days=current_app.config["ANSWER_VALIDITY_DAYS"],
    ), status


def _directory_or_404(client_id: str | None = None) -> WarehouseDirectory:
    """The directory, when there is one and ``client_id`` (from the address) could name one of
    its clients: letters, digits, ``_`` and ``-``, as ``rno_<hex>``; anything else (a NUL byte,
    which PostgreSQL refuses in text) is no client."""
    directory = warehouse_directory()
    if directory is None or (client_id is not None and _CLIENT_ID(client_id) is None):
        abort(404)
    return directory


@bp.post("/entrepots")
@staff_required("registry_admin")
def create_warehouse_client():
    directory = _directory_or_404()
    form = WarehouseForm()
    if not form.validate_on_submit():
        return _board(form, status=422)
    actor = current_staff().reference
    try:
        with unit_of_work(db.session()) as session:
            credentials = directory.create(session, form.name.data, actor)
    except RegistryError:
        form.name.errors.append(_("Ce nom n'est pas accepté : 1 à 200 caractères."))
        return _board(form, status=422)
    return _board(credentials=credentials)


@bp.post("/entrepots/<client_id>/secret")
@staff_required("registry_admin")
def rotate_warehouse_secret(client_id: str):
    directory = _directory_or_404(client_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    actor = current_staff().reference
    try:
        with unit_of_work(db.session()) as session:
            credentials = directory.rotate(session, client_id, actor)
    except RegistryError:
        abort(404)
    return _board(credentials=credentials)


@bp.post("/entrepots/<client_id>/desactivation")
@staff_required("registry_admin")
def disable_warehouse_client(client_id: str):
    directory = _directory_or_404(client_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    actor = current_staff().reference
    try:
        with unit_of_work(db.session()) as session:
            directory.disable(session, client_id, actor)
    except RegistryError:
        abort(404)
    flash(_("Le client %(client)s est désactivé : ses jetons sont refusés dès maintenant.", client=client_id), "success")
    return redirect(url_for("staff.warehouses"))
