"""Assisted filing: an agent files for a person at the counter, on the phone or by post, after
checking the number against the person's sex and birth date. The version records the channel,
the actor ``agent`` and the agent's account; the receipt is shown after the commit.

Who may change what is ``registry.ownership``'s business, and this view calls nothing else to
write: ``agent_filing``, or ``agent_filing_for_represented`` when a parent or legal
representative asks for a child or a protected adult (the paper form's boxes for them). On every
channel an agent adds to its channel's own claim, and the answer never shows what was there
before. Narrowing ("exactly these purposes") or withdrawing speaks for the person and supersedes
every claim: only the person themself, at the counter with the identity document checked, or by
post with its copy; by phone an agent only adds, and a representative only adds.

The receipt is a page that prints without the back-office's menu and a PDF made like the
citizen's (``portal.receipts``); both name the agent by role, never by account.
"""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from registry.counter_receipts import agent_version, representative_request
from registry.daily_filings import paris_day
from registry.db import Abandon, unit_of_work
from registry.errors import NoActiveOpposition, NothingChosen
from registry.identifiers import IdentityMismatch, InvalidIdentifier, check_identity, parse_identifier
from registry.models import OppositionVersion, utcnow
from registry.ownership import (
    EVIDENCE,
    REPRESENTATIVES,
    EvidenceRequired,
    ProxyAgeMismatch,
    RepresentativeMismatch,
    StrengthenOnlyChannel,
    agent_filing,
    agent_filing_for_represented,
)
from registry.purposes import purpose_from_code, purposes_of
from registry.staff import get_account

from portal.citizen.labels import PROXY_KIND_LABELS
from portal.database import db
from portal.keys import keyring
from portal.labels import (
    CHANNEL_LABELS,
    EVIDENCE_LABELS,
    PURPOSE_LABELS,
    REPRESENTATIVE_EVIDENCE_LABELS,
    REPRESENTATIVE_LABELS,
)
from portal.receipts import ReceiptDocument, receipt_pdf
from portal.staff import bp
from portal.staff.forms import AssistedFilingForm
from portal.staff.home import ROLE_LABELS
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
    if form.filed_for.data in REPRESENTATIVES:
        return _file_for_represented(form, identifier)
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


def _file_for_represented(form: AssistedFilingForm, identifier) -> OppositionVersion | None:
    """A parent's or legal representative's request for a child or a protected adult: it only
    adds, as a proxy's does online; on a refusal, the message goes on its field."""
    if form.request.data == "withdraw":
        form.request.errors.append(_("Pour un enfant ou un majeur protégé, un agent peut seulement ajouter des usages "
                                     "à son opposition : son représentant ne peut ni la réduire ni la retirer ici."))
        return None
    if form.evidence.data:
        form.evidence.errors.append(_("Cette case vaut pour une personne qui fait sa demande elle-même : pour une "
                                      "demande faite par un représentant, décochez-la et cochez les cases du représentant."))
        return None
    purposes = None if form.request.data == "all" else [purpose_from_code(code) for code in form.purposes.data or []]
    try:
        return agent_filing_for_represented(
            db.session(), keyring(), identifier, birthdate=form.birthdate.data, proxy_for=form.filed_for.data,
            representative=form.representative.data, purposes=purposes, channel=form.channel.data,
            agent=current_staff().reference, documents_checked=bool(form.representative_checked.data),
            today=paris_day(utcnow())).version
    except ProxyAgeMismatch as error:
        form.birthdate.errors.append(AGE_MESSAGES[error.code])
    except IdentityMismatch as error:
        field, message = IDENTITY_MESSAGES[error.code]
        getattr(form, field).errors.append(message)
    except RepresentativeMismatch:
        form.representative.errors.append(_("Cette qualité ne convient pas : un enfant mineur est représenté par un parent "
                                            "ou un tuteur, un majeur protégé par un tuteur, un curateur ou un proche habilité."))
    except EvidenceRequired:
        form.representative_checked.errors.append(_(
            "Au guichet, vérifiez la pièce d'identité du représentant et le justificatif de sa qualité (livret de "
            "famille ou acte de naissance pour un enfant, décision du juge pour un majeur protégé) ; par courrier, "
            "leurs copies."))
    except NothingChosen:
        form.purposes.errors.append(_("Cochez au moins une réutilisation refusée, ou choisissez une autre demande."))
    return None


AGE_MESSAGES = {
    "minor_is_adult": _l("D'après sa date de naissance, la personne a 18 ans ou plus : pour un majeur protégé, "
                         "choisissez « Pour un majeur protégé, par son représentant légal »."),
    "protected_adult_is_minor": _l("D'après sa date de naissance, la personne a moins de 18 ans : choisissez "
                                   "« Pour un enfant mineur, par son parent ou son tuteur »."),
}


# "5 décembre 2026 14:47", "5 December 2026 14:47", in the portal's time zone.
EFFECTIVE_AT_FORMAT = "d MMMM y HH:mm"


def _agent_version_or_404(reference: str) -> OppositionVersion:
    """A version an agent wrote (any other reference is unknown here)."""
    version = agent_version(db.session(), reference)
    if version is None:
        abort(404)
    return version


def _agent_role(reference: str | None) -> str:
    """The role of the account that filed ("agent d'accueil"), never its number or address."""
    account_id = reference.removeprefix("staff:") if reference else ""
    account = get_account(db.session(), int(account_id)) if account_id.isdigit() else None
    label = str(ROLE_LABELS.get(account.role, ROLE_LABELS["agent"]) if account else ROLE_LABELS["agent"])
    return label[:1].upper() + label[1:]


def receipt_facts(version: OppositionVersion) -> dict:
    """What the counter's receipt says, the same on the page and in the PDF. Acting for the
    person (with evidence), it shows the opposition in force after it and what was checked;
    otherwise only what this filing's claim holds, never the person's other claims."""
    for_the_person = version.evidence is not None
    if version.action == "withdrawn":
        title = _("Opposition retirée")
    elif for_the_person and version.action == "changed":
        title = _("Opposition modifiée")
    else:  # adding to the filing's own claim says "enregistrée" whatever was there: it shows nothing of it
        title = _("Opposition enregistrée")
    rows = [(_("Demande"), title)]
    if version.proxy_for:
        asked = representative_request(db.session(), version)
        rows.append((_("Personne concernée"), str(PROXY_KIND_LABELS[version.proxy_for])))
        if asked.get("representative") in REPRESENTATIVE_LABELS:
            rows.append((_("Demande faite par son représentant"), str(REPRESENTATIVE_LABELS[asked["representative"]])))
        checked = asked.get("representative_checked")
        rows.append((_("Vérification"), str(REPRESENTATIVE_EVIDENCE_LABELS[checked]) if checked in REPRESENTATIVE_EVIDENCE_LABELS
                     else _("Attestation sur l'honneur du représentant, par téléphone")))
    rows.append((_("Date d'effet"), format_datetime(version.effective_at, EFFECTIVE_AT_FORMAT)))
    rows.append((_("Canal"), str(CHANNEL_LABELS.get(version.channel, version.channel))))
    if for_the_person:
        rows.append((_("Vérification de l'identité"), str(EVIDENCE_LABELS.get(version.evidence, version.evidence))))
    rows.append((_("Enregistrée par"), _agent_role(version.filed_by)))
    mask = version.purposes_mask if for_the_person else (version.claim_mask or 0)
    if for_the_person:
        purposes_label, note = _("Opposition en vigueur après cette demande"), ""
    else:
        purposes_label = _("Réutilisations refusées par cette demande")
        note = _("Ce récépissé indique ce que cette demande ajoute. Il ne dit rien des autres demandes éventuelles "
                 "concernant cette personne.")
    return {"title": title, "rows": rows, "for_the_person": for_the_person, "purposes_label": purposes_label,
            "purposes": [str(PURPOSE_LABELS[p]) for p in purposes_of(mask)], "note": note}


FOLLOW_UP = _l("Vous pouvez retrouver, modifier ou retirer cette demande à tout moment dans votre espace personnel, "
               "en vous connectant avec FranceConnect, ou auprès d'un agent.")


@bp.get("/recu/<reference>")
@staff_required("agent")
def receipt(reference: str):
    """The receipt of a version an agent wrote, to print (without the back-office's menu) or
    download as a PDF to hand over or send."""
    version = _agent_version_or_404(reference)
    return render_template("staff/receipt.html", version=version, facts=receipt_facts(version),
                           follow_up=FOLLOW_UP)


@bp.get("/recu/<reference>.pdf")
@staff_required("agent")
def receipt_download(reference: str):
    """The same receipt as a PDF, made by the citizen receipt's generator."""
    version = _agent_version_or_404(reference)
    facts = receipt_facts(version)
    document = ReceiptDocument(
        title=_("Récépissé de votre demande"),
        service=_("Registre national d'opposition à la réutilisation des données de santé"),
        reference_label=_("Référence"),
        reference=version.receipt_reference,
        rows=facts["rows"],
        purposes_label=facts["purposes_label"],
        purposes=facts["purposes"] if facts["purposes"] else [_("Aucune : la personne ne s'oppose plus à aucune réutilisation.")],
        footer=" ".join(part for part in (facts["note"], _("Conservez ce récépissé."), str(FOLLOW_UP)) if part),
    )
    response = Response(receipt_pdf(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="recepisse-{version.receipt_reference}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
