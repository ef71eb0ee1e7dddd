"""« Mes données » pages. Each view reads the logged-in account's record through the registry;
the deletion view deletes, commits, then ends the session."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, session
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from registry.account_data import account_record, delete_account

from portal.auth import current_account_id
from portal.database import db
from portal.mydata.export import applications_of, export_document, export_pdf
from portal.pages import localized_url

bp = Blueprint("mydata", __name__)


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("Je comprends que mon compte sera supprimé et que mes oppositions resteront en vigueur."),
        validators=[DataRequired(message=_l("Cochez cette case pour confirmer la suppression de votre compte."))],
    )


def _record():
    return account_record(db.session(), current_account_id(), applications_of)


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
    body = json.dumps(export_document(_record()), ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "application/json", "mes-donnees.json")


@bp.get("/mon-espace/mes-donnees.pdf")
@login_required
def download_pdf():
    return _download(export_pdf(_record()), "application/pdf", "mes-donnees.pdf")


@bp.post("/mon-espace/mes-donnees/supprimer-mon-compte")
@login_required
def delete():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("mydata/overview.html", record=_record(), form=form, page_title=_("Mes données")), 400
    db_session = db.session()
    delete_account(db_session, current_account_id())
    db_session.commit()
    logout_user()
    session.clear()
    flash(_("Votre compte a été supprimé. Vos oppositions restent en vigueur."), "success")
    return redirect(localized_url("pages.home"), code=303)
