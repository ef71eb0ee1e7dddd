"""« Mes données » pages. Each view reads the logged-in account's record through the registry,
which holds what the account may see (``registry.visibility``): everything about the person it
proved to be, its own claims on others only. The deletion view deletes, commits, then ends the
session."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, session
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from registry.account_data import AccountRecord, account_record, delete_account
from registry.daily_filings import paris_day
from registry.db import unit_of_work
from registry.models import utcnow
from registry.ownership import citizen_for

from portal.auth import current_account_id
from portal.database import db
from portal.keys import keyring
from portal.mydata.export import export_document, export_pdf
from portal.pages import localized_url
from portal.sessions import end_session

bp = Blueprint("mydata", __name__)


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("Je comprends que mon compte sera supprimé et que mes oppositions resteront en vigueur."),
        validators=[DataRequired(message=_l("Cochez cette case pour confirmer la suppression de votre compte."))],
    )


def _record() -> AccountRecord:
    """What this account may see, judged on today's date in Paris (a minor's proxy stops seeing
    its claim on the minor's 18th birthday)."""
    db_session = db.session()
    citizen = citizen_for(db_session, keyring(), current_account_id())
    return account_record(db_session, citizen, paris_day(utcnow()))


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mon-espace/mes-donnees")
@login_required
def overview():
    return render_template("mydata/overview.html", record=_record(), form=DeleteAccountForm(), page_title=_("Mes données"))


@bp.get("/mon-espace/mes-donnees.json")
@login_required
def download_json():
    body = json.dumps(export_document(db.session(), _record()), ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "application/json", "mes-donnees.json")


@bp.get("/mon-espace/mes-donnees.pdf")
@login_required
def download_pdf():
    return _download(export_pdf(db.session(), _record()), "application/pdf", "mes-donnees.pdf")


@bp.post("/mon-espace/mes-donnees/supprimer-mon-compte")
@login_required
def delete():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("mydata/overview.html", record=_record(), form=form, page_title=_("Mes données")), 400
    with unit_of_work(db.session()) as db_session:
        delete_account(db_session, current_account_id())
    logout_user()
    end_session(session)
    flash(_("Votre compte a été supprimé. Vos oppositions restent en vigueur."), "success")
    return redirect(localized_url("pages.home"), code=303)
