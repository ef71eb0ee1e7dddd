"""The warehouse compliance board (registry administrators): list, create, rotate the secret,
disable warehouse clients, with each one's lookups per day, its last check of the registry, and
the acknowledgements it sent after private-mode runs. What the board reads and does is
``registry.warehouse_clients``; a test may put a stand-in with the same four functions in
``app.extensions["warehouse_directory"]``.
"""

from __future__ import annotations

import re
from types import ModuleType

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from registry import warehouse_clients
from registry.contact import unanswered_messages
from registry.db import unit_of_work
from registry.errors import RegistryError
from registry.freshness import validity
from registry.models import utcnow
from registry.warehouse_clients import ClientSummary, PrivateRun, api_activity, is_stale  # noqa: F401 (the board's names)

from portal.database import db
from portal.staff import bp
from portal.staff.forms import ActionForm, WarehouseForm
from portal.staff.session import current_staff, staff_required

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,48}", re.ASCII).fullmatch


def warehouse_directory() -> ModuleType:
    """``registry.warehouse_clients``, or the stand-in a test installed."""
    return current_app.extensions.get("warehouse_directory", warehouse_clients)


@bp.get("/entrepots")
@staff_required("registry_admin")
def warehouses():
    return _board()


def _board(form: WarehouseForm | None = None, credentials: tuple[str, str] | None = None, status: int = 200):
    now = utcnow()
    stale_after = validity(current_app.config["ANSWER_VALIDITY_DAYS"])  # answers older than this
    clients = warehouse_directory().list_clients(db.session())
    stale = {c.client_id for c in clients if is_stale(c, now, stale_after)}
    never_used = {c.client_id for c in clients if c.last_check is None}  # not one check yet
    return render_template(
        "staff/warehouses.html", clients=clients, stale=stale, never_used=never_used,
        form=form or WarehouseForm(), action_form=ActionForm(), credentials=credentials,
        backlog=unanswered_messages(db.session()),  # contact messages no agent has handled yet
        stale_days=current_app.config["ANSWER_VALIDITY_DAYS"],
    ), status


def _directory_or_404(client_id: str | None = None) -> ModuleType:
    """The directory, when ``client_id`` (from the address) could name one of its clients:
    letters, digits, ``_`` and ``-``, as ``rno_<hex>``; anything else (a NUL byte, which
    PostgreSQL refuses in text) is no client."""
    if client_id is not None and _CLIENT_ID(client_id) is None:
        abort(404)
    return warehouse_directory()


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
