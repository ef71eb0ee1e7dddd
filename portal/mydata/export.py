"""The "my data" export as a JSON document and as a readable PDF, built from an
``AccountRecord``. Codes stay codes in JSON (stable, machine-readable) with their labels beside
them; the PDF shows the labels and the same sections. Neither contains a raw identifier: the
registry has none.

What is in it is what ``registry.visibility`` lets the account see. The person it proved to be
(``person``): the opposition in force, every version by every holder, the active claims, refused
attempts to prove to be them, where warehouses applied it, and the keyed hash of their number.
Each of its own claims on someone else (``claims``): that claim and its versions only, with the
claim's purposes after each, never the opposition in force, other holders' versions, warehouses
or the number's hash (two holders comparing exports would learn they filed for the same person).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import format_datetime, gettext as _
from sqlalchemy.orm import Session

from registry.account_data import AccountRecord
from registry.models import Claim, OppositionVersion, Subject
from registry.purposes import purposes_of
from registry.visibility import ClaimRecord, PersonRecord

from portal.citizen import labels
from portal.pdf import SANS, Document


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _purposes(purposes) -> list[dict]:
    return [{"code": p.code, "label": str(labels.PURPOSE_LABELS[p])} for p in purposes]


def _purpose_labels(purposes) -> str:
    return ", ".join(str(labels.PURPOSE_LABELS[p]) for p in purposes) or _("aucun usage")


def _claim_label(claim: Claim) -> str:
    """Whom one of the account's own claims is for."""
    if claim.relation == "self":
        return _("Vous-même (identité non vérifiée)")
    return str(labels.PROXY_KIND_LABELS[claim.proxy_for])


def _claim_action_label(action: str) -> str:
    """A holder's version speaks of its own request, never of the opposition in force."""
    return str(labels.CLAIM_ACTION_LABELS.get(action) or labels.ACTION_LABELS[action])


def _who(version: OppositionVersion) -> str | None:
    """The relation of the claim a version changed (person, self, proxy, agent); None for a
    version the registry wrote before claims existed."""
    return None if version.claim is None else version.claim.relation


def _person(session: Session, person: PersonRecord) -> dict:
    subject = session.get(Subject, person.subject_id)
    state = person.state
    return {
        "identifier_fingerprint": {
            "hmac_sha256": subject.id_hash.hex(),
            "key_id": subject.hash_key_id,
            "note": _("Empreinte du numéro calculée avec une clé secrète (HMAC) : le registre ne garde jamais le numéro lui-même."),
        },
        "opposition_in_force": {"active": state.active, "purposes": _purposes(state.purposes)},
        "claims_in_force": [{
            "relation": claim.relation,
            "relation_label": str(labels.AUTHOR_LABELS[claim.relation]),
            "proxy_for": claim.proxy_for,
            "purposes": _purposes(claim.purposes),
        } for claim in person.claims],
        "history": [{
            "version": version.version,
            "action": version.action,
            "action_label": labels.person_action(version),
            "purposes_in_force_after": _purposes(version.purposes),
            "channel": version.channel,
            "channel_label": str(labels.CHANNEL_LABELS[version.channel]),
            "actor": version.actor,
            "who": _who(version),
            "who_label": labels.author_of(version),
            "evidence": version.evidence,
            "evidence_label": None if version.evidence is None else str(labels.EVIDENCE_LABELS[version.evidence]),
            "effective_at": _iso(version.effective_at),
            "recorded_at": _iso(version.recorded_at),
            "receipt_reference": version.receipt_reference,
        } for version in person.history],
        "refused_proof_attempts": [_iso(attempt.attempted_at) for attempt in person.attempts],
        "applied_by_warehouses": [{
            "warehouse_name": application.warehouse_name,
            "purpose": application.purpose.code,
            "purpose_label": str(labels.PURPOSE_LABELS[application.purpose]),
            "first_seen": _iso(application.first_seen),
            "last_seen": _iso(application.last_seen),
            **_permit(application),
        } for application in person.applications if not application.exception],
        "public_interest_exceptions": [{
            "warehouse_name": application.warehouse_name,
            "purpose": application.purpose.code,
            "purpose_label": str(labels.PURPOSE_LABELS[application.purpose]),
            "first_seen": _iso(application.first_seen),
            "last_seen": _iso(application.last_seen),
            "exception_reference": application.exception_reference,
            "legal_basis": application.exception_basis,
            **_permit(application),
        } for application in person.applications if application.exception],
    }


def _permit(application) -> dict:
    """The data permit a warehouse named when it applied (or set aside) the opposition."""
    if application.permit_reference is None:
        return {}
    return {"permit": {"reference": application.permit_reference, "title": application.permit_title,
                       "url": application.permit_url}}


def _claim(record: ClaimRecord) -> dict:
    claim = record.claim
    return {
        "relation": claim.relation,
        "relation_label": _claim_label(claim),
        "proxy_for": claim.proxy_for,
        "purposes": _purposes(claim.purposes),
        "active": claim.active,
        "superseded": record.superseded,
        "created_at": _iso(claim.created_at),
        # numbered within the claim: the person's version numbers would tell that others filed before
        "history": [{
            "version": len(record.history) - position,
            "action": version.action,
            "action_label": _claim_action_label(version.action),
            "claim_purposes_after": _purposes(purposes_of(version.claim_mask or 0)),
            "channel": version.channel,
            "effective_at": _iso(version.effective_at),
            "receipt_reference": version.receipt_reference,
        } for position, version in enumerate(record.history)],
    }


def export_document(session: Session, record: AccountRecord) -> dict:
    account, view = record.account, record.view
    return {
        "service": _("Registre national d'opposition"),
        "generated_at": _iso(record.generated_at),
        "account": {
            "identity_provider": account.issuer,
            "subject_at_identity_provider": account.subject,
            "created_at": _iso(account.created_at),
            "last_login_at": _iso(account.last_login_at),
        },
        "person": None if view.person is None else _person(session, view.person),
        "claims": [_claim(claim) for claim in view.claims],
    }


def _row(pdf: Document, label: str, value: str) -> None:
    pdf.set_font(SANS, "B", 10)
    pdf.multi_cell(0, 5, str(label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(0, 5, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _heading(pdf: Document, text: str, size: int = 13) -> None:
    """A heading, kept on the page of the row or line that follows it."""
    space, height = (3, 7) if size >= 13 else (1, 6)
    pdf.keep_with_next(space + height + 11)
    pdf.ln(space)
    pdf.set_font(SANS, "B", size)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _line(pdf: Document, text: str) -> None:
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def _person_pdf(pdf: Document, session: Session, person: PersonRecord) -> None:
    _heading(pdf, _("Mon opposition"))
    if person.state.active:
        status = _("Opposition en vigueur") + " : " + _purpose_labels(person.state.purposes)
    else:
        status = _("Aucune opposition en vigueur")
    _row(pdf, _("Situation"), status)
    subject = session.get(Subject, person.subject_id)
    _row(pdf, _("Empreinte du numéro calculée avec une clé secrète (HMAC)"), subject.id_hash.hex())
    _heading(pdf, _("Demandes en vigueur à votre sujet"), 11)
    if not person.claims:
        _line(pdf, _("Aucune demande en vigueur."))
    for claim in person.claims:
        author = str(labels.AUTHOR_LABELS[claim.relation])
        if claim.proxy_for:
            author += f" ({str(labels.PROXY_KIND_LABELS[claim.proxy_for]).lower()})"
        _line(pdf, f"{author} : {_purpose_labels(claim.purposes)}")
    if person.attempts:
        _heading(pdf, _("Essais refusés de prouver être vous"), 11)
        _line(pdf, ", ".join(format_datetime(attempt.attempted_at, "long") for attempt in person.attempts))
    _heading(pdf, _("Qui a appliqué cette opposition"), 11)
    applied = [application for application in person.applications if not application.exception]
    excepted = [application for application in person.applications if application.exception]
    if not applied:
        _line(pdf, _("Aucun entrepôt de données de santé ne l'a encore appliquée."))
    for application in applied:
        permit = "" if application.permit_reference is None else " - " + _(
            "projet « %(title)s » (autorisation %(reference)s, %(url)s)", title=application.permit_title,
            reference=application.permit_reference, url=application.permit_url)
        _line(pdf, f"{application.warehouse_name} - {labels.PURPOSE_LABELS[application.purpose]} - "
                   f"{format_datetime(application.first_seen, 'short')} - {format_datetime(application.last_seen, 'short')}"
                   + permit)
    if excepted:
        _heading(pdf, _("Exceptions d'intérêt public appliquées"), 11)
    for application in excepted:
        _row(pdf, f"{application.warehouse_name} - {labels.PURPOSE_LABELS[application.purpose]} - "
                  f"{format_datetime(application.first_seen, 'short')} - {format_datetime(application.last_seen, 'short')}",
             _("Exception %(exception)s, projet « %(title)s » (autorisation %(reference)s, %(url)s). Base légale : %(basis)s",
               exception=application.exception_reference, title=application.permit_title,
               reference=application.permit_reference, url=application.permit_url, basis=application.exception_basis))
    _heading(pdf, _("Historique"), 11)
    for version in person.history:
        details = _("Par : %(who)s. Canal : %(channel)s. Usages en vigueur ensuite : %(purposes)s. Récépissé : %(reference)s.",
                    who=labels.author_of(version), channel=labels.CHANNEL_LABELS[version.channel],
                    purposes=_purpose_labels(version.purposes), reference=version.receipt_reference)
        _row(pdf, f"{format_datetime(version.effective_at, 'short')} - {labels.person_action(version)}", details)


def _claim_pdf(pdf: Document, record: ClaimRecord) -> None:
    claim = record.claim
    _heading(pdf, _("Ma demande : %(whom)s", whom=_claim_label(claim)))
    if claim.active:
        status = _("Votre demande est en vigueur") + " : " + _purpose_labels(claim.purposes)
    elif record.superseded:
        status = _("Votre demande a pris fin : la personne concernée a elle-même fixé son opposition.")
    else:
        status = str(labels.CLAIM_ACTION_LABELS["withdrawn"])
    _row(pdf, _("Situation"), status)
    _row(pdf, _("Demande faite le"), format_datetime(claim.created_at, "long"))
    _line(pdf, _("Vous voyez votre demande seulement. D'autres demandes peuvent concerner cette personne : elles ne vous sont pas montrées."))
    _heading(pdf, _("Historique de ma demande"), 11)
    for version in record.history:
        details = _("Canal : %(channel)s. Usages de votre demande ensuite : %(purposes)s. Récépissé : %(reference)s.",
                    channel=labels.CHANNEL_LABELS[version.channel],
                    purposes=_purpose_labels(purposes_of(version.claim_mask or 0)), reference=version.receipt_reference)
        _row(pdf, f"{format_datetime(version.effective_at, 'short')} - {_claim_action_label(version.action)}", details)


def export_pdf(session: Session, record: AccountRecord) -> bytes:
    pdf = Document(_("Mes données"), creator=_("Registre national d'opposition"), margins=(18, 18, 18))
    pdf.masthead(_("Mes données au Registre national d'opposition"))
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(0, 5, _("Document établi le %(date)s.", date=format_datetime(record.generated_at, "long")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(SANS, "B", 13)
    pdf.multi_cell(0, 7, _("Mon compte"), new_x="LMARGIN", new_y="NEXT")
    account, view = record.account, record.view
    _row(pdf, _("Fournisseur d'identité"), account.issuer)
    _row(pdf, _("Identifiant chez le fournisseur d'identité"), account.subject)
    _row(pdf, _("Compte créé le"), format_datetime(account.created_at, "long"))
    _row(pdf, _("Dernière connexion le"), format_datetime(account.last_login_at, "long"))
    if view.person is not None:
        _person_pdf(pdf, session, view.person)
    for claim in view.claims:
        _claim_pdf(pdf, claim)
    pdf.ln(4)
    pdf.set_font(SANS, "I", 9)
    pdf.multi_cell(0, 5, _("Le registre ne garde ni votre numéro de sécurité sociale en clair, ni votre nom, ni votre date de naissance, ni votre adresse IP."), new_x="LMARGIN", new_y="NEXT")
    return pdf.to_bytes()
