"""Citizen forms that write: file for oneself, as a proxy, find one's opposition, change or
withdraw a claim, and the proved person's own change or withdrawal.

Each view checks the form, calls one rule of ``registry.ownership`` (which decides who may do
what) with the request's session, as one unit of work; the registry never commits. Forms redirect to the
receipt after the commit (post/redirect/get). A refusal puts a message on its field.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from registry.db import write_with_retry
from registry.errors import NoActiveOpposition
from registry.identifiers import IdentityMismatch, InvalidIdentifier, parse_identifier
from registry.models import utcnow
from registry.oppositions import written_in_session
from registry.ownership import (
    AlreadyFiledForSelf,
    ClaimNotFound,
    NotThePerson,
    ProxyAgeMismatch,
    SelfAsProxy,
    change_as_person,
    change_own_claim,
    file_as_proxy,
    file_for_self,
    find_my_opposition,
    own_claim,
    withdraw_as_person,
    withdraw_own_claim,
)
from registry.persons import bound_subject_id
from registry.visibility import person_record

from portal.auth import current_account_id, current_identity
from portal.citizen import labels
from portal.citizen.forms import ConfirmForm, FindForm, ProxyFilingForm, PurposesForm, SelfFilingForm
from portal.citizen.views import bp, current_citizen, today
from portal.database import db
from portal.keys import keyring
from portal.pages import localized_url
from portal.security import client_key, limiter


def _filing_limit() -> str:
    return current_app.config["FILING_RATE_LIMIT"]


def _not_a_submission() -> bool:
    return request.method != "POST"


def _account_key() -> str:
    return f"account:{current_account_id()}" if current_user.is_authenticated else client_key()


def filing_limit(view):
    """``FILING_RATE_LIMIT`` submissions per account and per address, counted over every filing
    form together (self, proxy, find, change, withdraw; French and English): moving from one
    form or language to another does not start a new count."""
    by_address = limiter.shared_limit(_filing_limit, scope="filing-address", key_func=client_key,
                                      exempt_when=_not_a_submission)
    by_account = limiter.shared_limit(_filing_limit, scope="filing-account", key_func=_account_key,
                                      exempt_when=_not_a_submission)
    return by_address(by_account(view))


def _with_one_retry(write):
    """``write(session)`` as one unit of work, run once more when a concurrent request won the
    race (``registry.db.write_with_retry``); a refusal raised by the rule rolls it back."""
    return write_with_retry(db.session(), write)


def _receipt_redirect(reference: str):
    return redirect(localized_url("citizen.receipt", reference=reference), code=303)


# A form sent again (a double click, "back" then send) within this time shows the receipt the
# first sending wrote: it is this account's own, just made.
RESUBMISSION_WINDOW = dt.timedelta(minutes=10)


def _resubmitted(version) -> bool:
    return (version.filed_by == current_citizen().holder
            and utcnow() - version.recorded_at < RESUBMISSION_WINDOW)


def _answer(version, as_person: bool):
    """The receipt of what this filing wrote; a filing that changed nothing (everything it asks
    for was already there) gets no receipt of its own, and is told so in the space, where the
    opposition (to the person) or the request (to any other holder) is shown as it stands."""
    if written_in_session(db.session(), version) or _resubmitted(version):
        return _receipt_redirect(version.receipt_reference)
    if as_person:
        flash(_("Votre opposition couvrait déjà ces usages : elle est inchangée, et aucun nouveau récépissé n'est émis. La voici, avec son historique."), "info")
    else:
        flash(_("Vous aviez déjà fait cette demande : elle est inchangée, et aucun nouveau récépissé n'est émis."), "info")
    return redirect(localized_url("citizen.my_space"), code=303)


def _parse(field):
    """The number typed in ``field``, or None with the reason on the field."""
    try:
        return parse_identifier(field.data, allow_test_identifiers=current_app.config["ALLOW_TEST_IDENTIFIERS"])
    except InvalidIdentifier as error:
        field.errors.append(labels.IDENTIFIER_MESSAGES[error.code])
        return None


def _explain_outcome(outcome) -> None:
    """Tell an account that could not prove to be the person why, and where to go."""
    if outcome.other_identity:
        flash(labels.OTHER_IDENTITY_MESSAGE, "warning")
    elif outcome.unverifiable:
        flash(labels.UNVERIFIABLE_MESSAGES[outcome.unverifiable], "warning")


@bp.route("/mon-espace/opposition", methods=["GET", "POST"])
@login_required
@filing_limit
def file_self():
    form = SelfFilingForm()
    if form.validate_on_submit() and (identifier := _parse(form.nir)) is not None:
        citizen, claims = current_citizen(), current_identity().claims()
        try:
            outcome = _with_one_retry(
                lambda s: file_for_self(s, keyring(), citizen, identifier, claims, form.chosen_purposes()))
        except IdentityMismatch as error:
            form.nir.errors.append(labels.SELF_IDENTITY_MESSAGES[error.code])
        except AlreadyFiledForSelf:
            form.nir.errors.append(_("Vous avez déjà enregistré une opposition pour vous-même avec un autre numéro : modifiez-la depuis votre espace."))
        else:
            _explain_outcome(outcome)
            return _answer(outcome.version, outcome.as_person)
    return render_template("citizen/file_self.html", form=form, page_title=_("M'opposer pour moi-même"))


@bp.route("/mon-espace/retrouver", methods=["GET", "POST"])
@login_required
@filing_limit
def find():
    """"Retrouver mon opposition": prove to be the person of a number (filed at a counter, by post
    or by someone else) and see everything about it. Files nothing."""
    form = FindForm()
    if form.validate_on_submit() and (identifier := _parse(form.nir)) is not None:
        citizen, claims = current_citizen(), current_identity().claims()
        try:
            outcome = _with_one_retry(lambda s: find_my_opposition(s, keyring(), citizen, identifier, claims))
        except IdentityMismatch as error:
            form.nir.errors.append(labels.SELF_IDENTITY_MESSAGES[error.code])
        except AlreadyFiledForSelf:
            form.nir.errors.append(_("Votre compte est déjà rattaché à un autre numéro."))
        except NoActiveOpposition:
            form.nir.errors.append(_("Le registre n'a aucune opposition pour ce numéro. Vous pouvez vous opposer dès maintenant."))
        else:
            if outcome.as_person:
                flash(_("C'est bien vous : votre opposition et son historique sont maintenant dans votre espace."), "success")
            else:
                _explain_outcome(outcome)
            return redirect(localized_url("citizen.my_space"), code=303)
    return render_template("citizen/find.html", form=form, page_title=_("Retrouver mon opposition"))


@bp.route("/mon-espace/procuration", methods=["GET", "POST"])
@login_required
@filing_limit
def file_proxy():
    form = ProxyFilingForm()
    if form.validate_on_submit() and (identifier := _parse(form.nir)) is not None:
        birthdate = form.birthdate_value()
        if birthdate is None:
            form.birthdate.errors.append(labels.PROXY_BIRTHDATE_MESSAGES["birthdate_invalid"])
        else:
            citizen, day = current_citizen(), today()
            try:
                version = _with_one_retry(lambda s: file_as_proxy(
                    s, keyring(), citizen, identifier, birthdate, form.proxy_for.data, form.chosen_purposes(), day))
            except IdentityMismatch as error:
                field = form.birthdate if error.code == "birthdate_invalid" else form.nir
                field.errors.append(labels.PROXY_BIRTHDATE_MESSAGES[error.code])
            except ProxyAgeMismatch as error:
                form.birthdate.errors.append(labels.PROXY_AGE_MESSAGES[error.code])
            except SelfAsProxy:
                form.nir.errors.append(_("C'est votre propre numéro : faites la demande pour vous-même."))
            else:
                return _answer(version, as_person=False)
    return render_template("citizen/file_proxy.html", form=form, page_title=_("M'opposer pour un enfant ou un majeur protégé"))


def _own_claim_or_404(claim_id: int):
    try:
        return own_claim(db.session(), current_citizen(), claim_id, today())
    except ClaimNotFound:
        abort(404)


@bp.route("/mon-espace/oppositions/<int:claim_id>/usages", methods=["GET", "POST"])
@login_required
@filing_limit
def change(claim_id: int):
    """Change the purposes of one's own claim; the form shows that claim, nothing else."""
    claim = _own_claim_or_404(claim_id)
    form = PurposesForm()
    if request.method == "GET" and claim.active and len(claim.purposes) < len(labels.PURPOSE_LABELS):
        form.scope.data = "some"
        form.purposes.data = [p.code for p in claim.purposes]
    if form.validate_on_submit():
        citizen, day = current_citizen(), today()
        version = _with_one_retry(lambda s: change_own_claim(s, citizen, claim_id, form.chosen_purposes(), day))
        return _receipt_redirect(version.receipt_reference)
    title = _("Modifier ma demande") if claim.active else _("Refaire ma demande")
    return render_template("citizen/change.html", form=form, claim=claim, active=claim.active, labels=labels,
                           action=localized_url("citizen.change", claim_id=claim.id), page_title=title)


@bp.route("/mon-espace/oppositions/<int:claim_id>/retrait", methods=["GET", "POST"])
@login_required
@filing_limit
def withdraw(claim_id: int):
    """End one's own claim: the person stays opposed to what other claims cover."""
    claim = _own_claim_or_404(claim_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        citizen, day = current_citizen(), today()
        try:
            version = _with_one_retry(lambda s: withdraw_own_claim(s, citizen, claim_id, day))
        except NoActiveOpposition:
            return redirect(localized_url("citizen.my_space"), code=303)
        return _receipt_redirect(version.receipt_reference)
    if not claim.active:
        return redirect(localized_url("citizen.my_space"))
    return render_template("citizen/withdraw.html", form=form, claim=claim, labels=labels,
                           action=localized_url("citizen.withdraw", claim_id=claim.id),
                           page_title=_("Retirer ma demande"))


def _person_or_404():
    subject_id = bound_subject_id(db.session(), current_citizen().identity)
    if subject_id is None:
        abort(404)
    return person_record(db.session(), subject_id)


@bp.route("/mon-espace/mon-opposition/usages", methods=["GET", "POST"])
@login_required
@filing_limit
def change_person():
    """The proved person sets their opposition: it replaces every other request about them."""
    person = _person_or_404()
    form = PurposesForm()
    state = person.state
    if request.method == "GET" and state.active and len(state.purposes) < len(labels.PURPOSE_LABELS):
        form.scope.data = "some"
        form.purposes.data = [p.code for p in state.purposes]
    if form.validate_on_submit():
        citizen = current_citizen()
        try:
            version = _with_one_retry(lambda s: change_as_person(s, citizen, person.subject_id, form.chosen_purposes()))
        except NotThePerson:
            abort(404)
        return _receipt_redirect(version.receipt_reference)
    title = _("Modifier les usages") if state.active else _("M'opposer à nouveau")
    return render_template("citizen/change.html", form=form, claim=None, active=state.active, labels=labels,
                           person=person, action=localized_url("citizen.change_person"), page_title=title)


@bp.route("/mon-espace/mon-opposition/retrait", methods=["GET", "POST"])
@login_required
@filing_limit
def withdraw_person():
    """The proved person withdraws: every request about them ends."""
    person = _person_or_404()
    form = ConfirmForm()
    if form.validate_on_submit():
        citizen = current_citizen()
        try:
            version = _with_one_retry(lambda s: withdraw_as_person(s, citizen, person.subject_id))
        except NoActiveOpposition:
            return redirect(localized_url("citizen.my_space"), code=303)
        return _receipt_redirect(version.receipt_reference)
    if not person.state.active:
        return redirect(localized_url("citizen.my_space"))
    return render_template("citizen/withdraw.html", form=form, claim=None, person=person, labels=labels,
                           action=localized_url("citizen.withdraw_person"), page_title=_("Retirer mon opposition"))
