"""Access requests in the back-office (registry administrators): the list, pending first; one
page per request (opening it is audited: it shows the sealed addresses); approve with scopes and
a cohort size, refuse with a reason, or send a new link when the mail did not arrive. The mail
to the requester goes after the commit through ``portal.mail``; a mail that cannot be sent is
said to the administrator and recorded (its failure code only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from registry.access_requests import (AccessRequestError, InvalidRequest, get_request,
                                      approve_request, issue_link, open_addresses, read_request, record_mail,
                                      refuse_request, requests_for_review)
from registry.contact import ReplyAddressUnreadable
from registry.db import unit_of_work
from registry.purposes import purpose_from_code

from portal.database import db
from portal.developers.access import claim_url, link_lifetime, mail_text
from portal.developers.forms import SCOPE_LABELS, ApproveForm, RefuseForm
from portal.help import contact_sealer
from portal.labels import PURPOSE_LABELS
from portal.mail import MailNotSent, mailer
from portal.staff.forms import ActionForm
from portal.staff.home import staff_context
from portal.staff.inbox import FAILURE_MESSAGES
from portal.staff.session import current_staff, staff_required

bp = Blueprint("staff_access", __name__, url_prefix="/staff/demandes-acces")
bp.context_processor(staff_context)

def _status_labels() -> dict:
    return {"pending": _("À examiner"), "approved": _("Acceptée, lien envoyé"), "refused": _("Refusée"),
            "claimed": _("Identifiants créés")}


def _admin() -> str:
    return current_staff().reference


def _purpose_labels(codes: list[str]) -> list[str]:
    labels = []
    for code in codes:
        try:
            labels.append(str(PURPOSE_LABELS[purpose_from_code(code)]))
        except (KeyError, ValueError):
            labels.append(code)
    return labels


@bp.get("/")
@staff_required("registry_admin")
def index():
    return render_template("staff/access_requests.html", requests=requests_for_review(db.session()),
                           statuses=_status_labels())


def _page(request_id: int, approve: ApproveForm | None = None, refuse: RefuseForm | None = None, status: int = 200):
    try:
        with unit_of_work(db.session()) as session:
            found = read_request(session, request_id, actor=_admin())
    except AccessRequestError:
        abort(404)
    try:
        addresses = open_addresses(found, contact_sealer())
    except ReplyAddressUnreadable:
        addresses = None
    if approve is None:
        approve = ApproveForm(data={"scopes": ["lookup", "jobs"], "cohort_size": found.cohort_size})
    return render_template(
        "staff/access_request.html", access=found, addresses=addresses, approve=approve,
        refuse=refuse or RefuseForm(), action_form=ActionForm(), statuses=_status_labels(),
        purposes=_purpose_labels(found.purpose_codes), scope_labels=SCOPE_LABELS,
    ), status


@bp.get("/<int:request_id>")
@staff_required("registry_admin")
def show(request_id: int):
    return _page(request_id)


def _send(request_id: int, kind: str, token: str | None) -> bool:
    """Mail the requester (after the commit) and record what came of it; False when not sent."""
    session = db.session()
    found = get_request(session, request_id)
    failure = None
    try:
        subject, text = mail_text(kind, found, claim_url(found, token) if token else None)
        mailer().send(open_addresses(found, contact_sealer()).contact, subject, text)
    except MailNotSent as error:
        failure = error.code
    except ReplyAddressUnreadable as error:
        failure = error.code
    with unit_of_work(db.session()) as session:
        record_mail(session, get_request(session, request_id), kind=kind, actor=_admin(), failure=failure)
    if failure:
        flash(_("Le courriel n'a pas pu être envoyé : %(why)s Envoyez un nouveau lien une fois le problème réglé.",
                why=FAILURE_MESSAGES.get(failure, failure)), "error")
    return failure is None


@bp.post("/<int:request_id>/acceptation")
@staff_required("registry_admin")
def approve(request_id: int):
    form = ApproveForm()
    if not form.validate_on_submit():
        return _page(request_id, approve=form, status=422)
    try:
        with unit_of_work(db.session()) as session:
            _found, token = approve_request(session, request_id, scope=" ".join(form.scopes.data),
                                            cohort_size=form.cohort_size.data, actor=_admin(),
                                            lifetime=link_lifetime())
    except InvalidRequest as refused:
        getattr(form, refused.field if hasattr(form, refused.field) else "scopes").errors = [
            _("Cette valeur n'est pas acceptée.")]
        return _page(request_id, approve=form, status=422)
    except AccessRequestError:
        abort(409)
    if _send(request_id, "approved", token):
        flash(_("La demande est acceptée ; le lien à usage unique a été envoyé au demandeur."), "success")
    return redirect(url_for("staff_access.show", request_id=request_id), code=303)


@bp.post("/<int:request_id>/refus")
@staff_required("registry_admin")
def refuse(request_id: int):
    form = RefuseForm()
    if not form.validate_on_submit():
        return _page(request_id, refuse=form, status=422)
    try:
        with unit_of_work(db.session()) as session:
            refuse_request(session, request_id, reason=form.reason.data, actor=_admin())
    except AccessRequestError:
        abort(409)
    if _send(request_id, "refused", None):
        flash(_("La demande est refusée ; le demandeur a reçu la raison par courriel."), "success")
    return redirect(url_for("staff_access.show", request_id=request_id), code=303)


@bp.post("/<int:request_id>/nouveau-lien")
@staff_required("registry_admin")
def new_link(request_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work(db.session()) as session:
            token = issue_link(session, get_request(session, request_id), lifetime=link_lifetime(), actor=_admin())
    except AccessRequestError:
        abort(409)
    if _send(request_id, "approved", token):
        flash(_("Un nouveau lien a été envoyé ; le précédent ne fonctionne plus."), "success")
    return redirect(url_for("staff_access.show", request_id=request_id), code=303)

