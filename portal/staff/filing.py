"""Assisted filing: an agent files for a person at the counter, on the phone or by post, after
checking the number against the person's sex and birth date. The version records the channel,
the actor ``agent`` and the agent's account; the receipt is shown after the commit.

Who may change what is ``registry.ownership``'s business, and this view calls nothing else to
write: ``agent_filing``. On every channel an agent adds to its channel's own claim, and the
answer never shows what was there before. Narrowing ("exactly these purposes") or withdrawing
speaks for the person and supersedes every claim: only at the counter with the identity
document checked, or by post with its copy; by phone an agent only adds.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from registry.db import Abandon, unit_of_work
from registry.errors import NoActiveOpposition, NothingChosen
from registry.identifiers import IdentityMismatch, InvalidIdentifier, check_identity, parse_identifier
from registry.models import OppositionVersion
from registry.oppositions import is_receipt_reference
from registry.ownership import EVIDENCE, EvidenceRequired, StrengthenOnlyChannel, agent_filing
from registry.purposes import purpose_from_code, purposes_of

from portal.database import db
from portal.keys import keyring
from portal.staff import bp
from portal.labels import CHANNEL_LABELS, EVIDENCE_LABELS, PURPOSE_LABELS
from portal.staff.forms import AssistedFilingForm
from portal.staff.identity_messages import IDENTIFIER_MESSAGES, IDENTITY_MESSAGES
from portal.staff.session import current_staff, staff_required


@bp.route("/depot", methods=["GET", "POST"])
@staff_required("agent")
def assisted_filing():
    form = AssistedFilingForm()
    if form.validate_on_submit():
        version = None
        with unit_of_work(db.session()):
            version = _file(form)
            if version is None:
                raise Abandon()  # a refusal: its message is on the form, nothing is kept
        if version is not None:
            return redirect(url_for("staff.receipt", reference=version.receipt_reference))
    if form.birthdate.errors and form.birthdate.data is None:  # unreadable or missing date
        form.birthdate.errors = [_("Saisissez la date de naissance au format JJ/MM/AAAA.")]
    status = 422 if form.errors else 200
    return render_template("staff/filing.html", form=form), status


def _request(form: AssistedFilingForm) -> tuple[str, list | None]:
    """The form's request as ``agent_filing`` reads it: "all" and "some" add to the channel's
    claim; "some" with the evidence ticked at the counter or by post sets exactly these purposes
    for the person; "withdraw" withdraws for the person."""
    if form.request.data == "withdraw":
        return "withdraw", None
    if form.request.data == "all":
        return "add", None
    purposes = [purpose_from_code(code) for code in form.purposes.data or []]
    if form.evidence.data and form.channel.data in EVIDENCE:
        return "set", purposes
    return "add", purposes


def _file(form: AssistedFilingForm) -> OppositionVersion | None:
    """Check the identity and write; on a refusal, put the message on its field and return None."""
    try:
        identifier = parse_identifier(form.identifier.data,
                                      allow_test_identifiers=current_app.config["ALLOW_TEST_IDENTIFIERS"])
    except InvalidIdentifier as error:
        form.identifier.errors.append(IDENTIFIER_MESSAGES[error.code])
        return None
    try:
        check_identity(identifier, gender=form.sex.data, birthdate=form.birthdate.data)
    except IdentityMismatch as error:
        field, message = IDENTITY_MESSAGES[error.code]
        getattr(form, field).errors.append(message)
        return None
    request, purposes = _request(form)
    try:
        return agent_filing(db.session(), keyring(), identifier, request=request, purposes=purposes,
                            channel=form.channel.data, agent=current_staff().reference,
                            evidence_checked=bool(form.evidence.data)).version
    except StrengthenOnlyChannel:
        form.request.errors.append(_("Par téléphone, un agent peut seulement ajouter des usages à une opposition : "
                                     "invitez la personne à se rendre au guichet ou à écrire."))
    except EvidenceRequired:
        form.evidence.errors.append(_("Pour réduire ou retirer une opposition, vérifiez la pièce d'identité de la "
                                      "personne (au guichet) ou joignez sa copie (courrier)."))
    except NothingChosen:
        form.purposes.errors.append(_("Cochez au moins une réutilisation refusée, ou choisissez une autre demande."))
    except NoActiveOpposition:
        form.request.errors.append(_("Cette personne n'a pas d'opposition en cours : il n'y a rien à retirer."))
    return None


@bp.get("/recu/<reference>")
@staff_required("agent")
def receipt(reference: str):
    """The receipt of a version an agent wrote (any other reference is unknown here). Acting for
    the person (with evidence), it shows the opposition in force after it and what was checked;
    otherwise only what its channel's claim holds, never the person's other claims."""
    if not is_receipt_reference(reference):
        abort(404)
    version = db.session().scalars(
        select(OppositionVersion).where(OppositionVersion.receipt_reference == reference,
                                        OppositionVersion.actor == "agent")
    ).one_or_none()
    if version is None:
        abort(404)
    for_the_person = version.evidence is not None
    mask = version.purposes_mask if for_the_person else (version.claim_mask or 0)
    return render_template(
        "staff/receipt.html",
        version=version,
        for_the_person=for_the_person,
        purposes=[PURPOSE_LABELS[p] for p in purposes_of(mask)],
        channel=CHANNEL_LABELS.get(version.channel, version.channel),
        evidence=EVIDENCE_LABELS.get(version.evidence, version.evidence) if for_the_person else None,
    )
