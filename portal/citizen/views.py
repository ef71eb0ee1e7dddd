"""Citizen pages. Each view checks who may do what, calls the registry with the request's
session, and commits; the registry never commits. Filing forms redirect to the receipt after
the commit (post/redirect/get), and filing the same thing twice returns the same version."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from flask_babel import format_datetime, get_locale, gettext as _
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from registry.accounts import (
    AlreadyFiledForSelf,
    SelfAsProxy,
    account_link,
    account_reference,
    file_for_account,
    receipt_for_account,
)
from registry.db import write_turn
from registry.errors import NoActiveOpposition
from registry.identifiers import IdentityMismatch, InvalidIdentifier, check_birthdate, check_identity, parse_identifier
from registry.oppositions import Filing, file_for_subject, subject_state, withdraw_for_subject
from registry.purposes import purposes_of

from portal.auth import current_account_id, current_identity
from portal.citizen import labels
from portal.citizen.forms import ConfirmForm, ProxyFilingForm, PurposesForm, SelfFilingForm
from portal.citizen.space import opposition_cards
from portal.database import db
from portal.demo import DEMO_CITIZENS
from portal.keys import keyring
from portal.pages import localized_url
from portal.receipts import ReceiptDocument, receipt_pdf
from portal.security import limiter

bp = Blueprint("citizen", __name__)


def _filing_limit() -> str:
    return current_app.config["FILING_RATE_LIMIT"]


def _filing_is_post() -> bool:
    return request.method != "POST"


filing_limit = limiter.limit(_filing_limit, exempt_when=_filing_is_post)


def _with_one_retry(write):
    """Run ``write(session)`` and commit; when a concurrent identical request won the race
    (a unique constraint), roll back and run once more: it then finds what the other wrote.

    The write is a transaction of its own, begun as a writer in this process's write turn: on
    SQLite a transaction that read first cannot become a writer once another process has
    committed in between (it fails at once instead of waiting)."""
    session = db.session()
    session.commit()  # end the reads made so far (the signed-in account...)
    try:
        with write_turn(session):
            result = write(session)
            session.commit()
        return result
    except IntegrityError:
        session.rollback()
        with write_turn(session):
            result = write(session)
            session.commit()
        return result


def _receipt_redirect(reference: str):
    return redirect(localized_url("citizen.receipt", reference=reference), code=303)


@bp.get("/comprendre")
def understand():
    return render_template(f"citizen/understand_{get_locale()}.html", page_title=_("Comprendre"))


@bp.get("/mon-espace")
@login_required
def my_space():
    cards = opposition_cards(db.session(), current_account_id())
    has_self = any(card.link.relation == "self" for card in cards)
    return render_template("citizen/my_space.html", cards=cards, has_self=has_self, labels=labels)


@bp.route("/mon-espace/opposition", methods=["GET", "POST"])
@login_required
@filing_limit
def file_self():
    form = SelfFilingForm()
    identity = current_identity()
    if form.validate_on_submit():
        try:
            identifier = parse_identifier(form.nir.data, allow_test_identifiers=current_app.config["ALLOW_TEST_IDENTIFIERS"])
            check_identity(identifier, gender=identity.gender, birthdate=identity.birthdate)
        except InvalidIdentifier as error:
            form.nir.errors.append(labels.IDENTIFIER_MESSAGES[error.code])
        except IdentityMismatch as error:
            form.nir.errors.append(labels.SELF_IDENTITY_MESSAGES[error.code])
        else:
            account_id = current_account_id()
            try:
                _link, version = _with_one_retry(
                    lambda s: file_for_account(s, keyring(), account_id, identifier, form.chosen_purposes())
                )
            except AlreadyFiledForSelf:
                db.session().rollback()
                form.nir.errors.append(_("Vous avez déjà enregistré une opposition pour vous-même avec un autre numéro : modifiez-la depuis votre espace."))
            else:
                return _receipt_redirect(version.receipt_reference)
    return render_template("citizen/file_self.html", form=form, page_title=_("M'opposer pour moi-même"))


@bp.route("/mon-espace/procuration", methods=["GET", "POST"])
@login_required
@filing_limit
def file_proxy():
    form = ProxyFilingForm()
    if form.validate_on_submit():
        identifier = None
        try:
            identifier = parse_identifier(form.nir.data, allow_test_identifiers=current_app.config["ALLOW_TEST_IDENTIFIERS"])
        except InvalidIdentifier as error:
            form.nir.errors.append(labels.IDENTIFIER_MESSAGES[error.code])
        if identifier is not None:
            try:
                check_birthdate(identifier, form.iso_birthdate())
            except IdentityMismatch as error:
                field = form.birthdate if error.code == "birthdate_invalid" else form.nir
                field.errors.append(labels.PROXY_BIRTHDATE_MESSAGES[error.code])
                identifier = None
        if identifier is not None:
            account_id = current_account_id()
            try:
                _link, version = _with_one_retry(lambda s: file_for_account(
                    s, keyring(), account_id, identifier, form.chosen_purposes(), proxy_for=form.proxy_for.data))
            except SelfAsProxy:
                db.session().rollback()
                form.nir.errors.append(_("C'est votre propre numéro : faites la demande pour vous-même."))
            else:
                return _receipt_redirect(version.receipt_reference)
    return render_template("citizen/file_proxy.html", form=form, page_title=_("M'opposer pour un enfant ou un majeur protégé"))


def _own_link(link_id: int):
    link = account_link(db.session(), current_account_id(), link_id)
    if link is None:
        abort(404)
    return link


def _filing_for(link) -> Filing:
    return Filing(channel="online", actor=link.relation, proxy_for=link.proxy_for,
                  filed_by=account_reference(current_account_id()))


@bp.route("/mon-espace/oppositions/<int:link_id>/usages", methods=["GET", "POST"])
@login_required
@filing_limit
def change(link_id: int):
    link = _own_link(link_id)
    state = subject_state(db.session(), link.subject)
    form = PurposesForm()
    if request.method == "GET" and state.active and len(state.purposes) < len(labels.PURPOSE_LABELS):
        form.scope.data = "some"
        form.purposes.data = [p.code for p in state.purposes]
    if form.validate_on_submit():
        filing = _filing_for(link)
        version = _with_one_retry(lambda s: file_for_subject(s, link.subject_id, form.chosen_purposes(), filing))
        return _receipt_redirect(version.receipt_reference)
    title = _("Modifier les usages") if state.active else _("M'opposer à nouveau")
    return render_template("citizen/change.html", form=form, link=link, state=state, labels=labels, page_title=title)


@bp.route("/mon-espace/oppositions/<int:link_id>/retrait", methods=["GET", "POST"])
@login_required
@filing_limit
def withdraw(link_id: int):
    link = _own_link(link_id)
    state = subject_state(db.session(), link.subject)
    form = ConfirmForm()
    if form.validate_on_submit():
        filing = _filing_for(link)
        try:
            version = _with_one_retry(lambda s: withdraw_for_subject(s, link.subject_id, filing))
        except NoActiveOpposition:
            db.session().rollback()
            version = state.version  # already withdrawn (a second click): show that receipt
            if version is None:
                abort(404)
        return _receipt_redirect(version.receipt_reference)
    if not state.active:
        return redirect(localized_url("citizen.my_space"))
    return render_template("citizen/withdraw.html", form=form, link=link, labels=labels, page_title=_("Retirer mon opposition"))


def _receipt_or_404(reference: str):
    receipt = receipt_for_account(db.session(), current_account_id(), reference)
    if receipt is None:
        abort(404)
    return receipt


def _concerns(link) -> str:
    if link.relation == "self":
        return _("Vous-même")
    return str(labels.PROXY_KIND_LABELS[link.proxy_for])


@bp.get("/mon-espace/recus/<reference>")
@login_required
def receipt(reference: str):
    found = _receipt_or_404(reference)
    return render_template("citizen/receipt.html", receipt=found, concerns=_concerns(found.link),
                           purposes=purposes_of(found.version.purposes_mask), labels=labels,
                           page_title=_("Récépissé"))


@bp.get("/mon-espace/recus/<reference>.pdf")
@login_required
def receipt_download(reference: str):
    found = _receipt_or_404(reference)
    version = found.version
    document = ReceiptDocument(
        title=_("Récépissé de votre demande"),
        service=_("Registre national d'opposition à la réutilisation des données de santé"),
        reference_label=_("Référence"),
        reference=version.receipt_reference,
        rows=[
            (_("Demande"), str(labels.ACTION_LABELS[version.action])),
            (_("Personne concernée"), _concerns(found.link)),
            (_("Date d'effet"), format_datetime(version.effective_at, "long")),
            (_("Canal"), str(labels.CHANNEL_LABELS[version.channel])),
        ],
        purposes_label=_("Usages auxquels la personne s'oppose"),
        purposes=[str(labels.PURPOSE_LABELS[p]) for p in purposes_of(version.purposes_mask)],
        footer=_("Conservez ce récépissé. Vous pouvez modifier ou retirer votre opposition à tout moment depuis votre espace."),
    )
    response = Response(receipt_pdf(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="recepisse-{version.receipt_reference}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/aide-developpement")
def dev_help():
    if current_app.config["PRODUCTION"]:
        abort(404)
    return render_template("citizen/dev_help.html", citizens=DEMO_CITIZENS, page_title=_("Aide au développement"))
