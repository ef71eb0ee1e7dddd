"""The back-office register of data permits (registry administrators): list, create, change.

Each change is a unit of work through ``registry.permits`` (audited as the signed-in
administrator). The pages share the back-office's layout and session rules
(``portal.staff.session.staff_required``).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from registry.db import unit_of_work
from registry.permits import (PermitDetails, PermitError, PermitNotFound, change_permit, create_permit, get_permit,
                              holder_client_ids, list_permits, holder_names, valid_reference)
from registry.purposes import purpose_from_code
from registry.warehouses import Warehouse

from portal.database import db
from portal.labels import PURPOSE_LABELS
from portal.permits.forms import PermitForm
from portal.staff.home import staff_context
from portal.staff.session import current_staff, staff_required

bp = Blueprint("staff_permits", __name__, url_prefix="/staff/autorisations")
bp.context_processor(staff_context)

FIELD_MESSAGES = {
    "taken": ("reference", "Une autorisation a déjà cette référence."),
    "unknown_warehouse": ("holders", "Un entrepôt titulaire n'est pas un client du registre."),
}


def _form(permit=None) -> PermitForm:
    session = db.session()
    form = PermitForm() if permit is None else PermitForm(
        data={"reference": permit.reference, "title": permit.title, "issuing_body": permit.issuing_body,
              "purposes": [p.code for p in permit.purposes], "starts_on": permit.starts_on, "ends_on": permit.ends_on,
              "url": permit.url, "holders": holder_client_ids(session, permit.id),
              "exception_basis": permit.exception_basis or "", "exception_reference": permit.exception_reference or ""})
    warehouses = session.execute(select(Warehouse.client_id, Warehouse.name).where(Warehouse.disabled_at.is_(None))
                                 .order_by(Warehouse.name)).all()
    form.holders.choices = [SelectChoice(client_id, f"{name} ({client_id})") for client_id, name in warehouses]
    return form


def _details(form: PermitForm, reference: str) -> PermitDetails:
    return PermitDetails(reference, form.title.data, form.issuing_body.data,
                         tuple(map(purpose_from_code, form.purposes.data)), form.starts_on.data, form.ends_on.data,
                         form.url.data.strip(), tuple(form.holders.data), form.exception_basis.data or None,
                         form.exception_reference.data or None)


def _refused(form: PermitForm, error: PermitError) -> None:
    """Put the registry's refusal on its field, in the page's language."""
    field, message = FIELD_MESSAGES.get(error.code, (error.field, None))
    target = getattr(form, field if hasattr(form, field) else "reference")
    target.errors = list(target.errors) + [_(message) if message else _("Cette valeur n'est pas acceptée.")]


@bp.get("")
@staff_required("registry_admin")
def index():
    session = db.session()
    permits = [(permit, holder_names(session, permit.id)) for permit in list_permits(session)]
    return render_template("staff/permits.html", permits=permits, purpose_labels=PURPOSE_LABELS)


@bp.route("/nouvelle", methods=["GET", "POST"])
@staff_required("registry_admin")
def create():
    form = _form()
    if not form.validate_on_submit():
        return render_template("staff/permits_form.html", form=form, permit=None), 422 if form.is_submitted() else 200
    try:
        with unit_of_work(db.session()) as session:
            create_permit(session, _details(form, form.reference.data.strip()), actor=current_staff().reference)
    except PermitError as error:
        _refused(form, error)
        return render_template("staff/permits_form.html", form=form, permit=None), 422
    flash(_("L'autorisation %(reference)s est enregistrée.", reference=form.reference.data.strip()), "success")
    return redirect(url_for("staff_permits.index"))


@bp.route("/<reference>/modifier", methods=["GET", "POST"])
@staff_required("registry_admin")
def edit(reference: str):
    if not valid_reference(reference):
        abort(404)
    try:
        permit = get_permit(db.session(), reference)
    except PermitNotFound:
        abort(404)
    form = _form(permit) if not PermitForm().is_submitted() else _form()
    form.reference.data = permit.reference  # the reference does not change
    if not form.validate_on_submit():
        return render_template("staff/permits_form.html", form=form, permit=permit), 422 if form.is_submitted() else 200
    try:
        with unit_of_work(db.session()) as session:
            change_permit(session, reference, _details(form, reference), actor=current_staff().reference)
    except PermitError as error:
        _refused(form, error)
        return render_template("staff/permits_form.html", form=form, permit=permit), 422
    flash(_("L'autorisation %(reference)s est modifiée.", reference=reference), "success")
    return redirect(url_for("staff_permits.index"))
