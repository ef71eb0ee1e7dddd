"""The "my data" export as a JSON document and as a readable PDF, built from an
``AccountRecord``. Codes stay codes in JSON (stable, machine-readable) with their labels beside
them; the PDF shows the labels. Neither contains a raw identifier: the registry has none."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_datetime, gettext as _
from fpdf import FPDF
from sqlalchemy.orm import Session

from registry.account_data import AccountRecord, PersonRecord

from portal.citizen import labels
from portal.citizen.space import warehouse_applications
from portal.receipts import _latin1


def applications_of(session: Session, subject_id: int):
    """Where warehouses applied this person's opposition: the same source as "my space"
    (``portal.citizen.space.warehouse_applications``), so both show the same list."""
    return warehouse_applications(session, subject_id)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _purposes(purposes) -> list[dict]:
    return [{"code": p.code, "label": str(labels.PURPOSE_LABELS[p])} for p in purposes]


def _person(person: PersonRecord) -> dict:
    link, state = person.link, person.state
    return {
        "relation": link.relation,
        "relation_label": _("Vous-même") if link.relation == "self" else str(labels.PROXY_KIND_LABELS[link.proxy_for]),
        "proxy_for": link.proxy_for,
        "linked_at": _iso(link.created_at),
        "identifier_fingerprint": {
            "hmac_sha256": link.subject.id_hash.hex(),
            "key_id": link.subject.hash_key_id,
            "note": _("Empreinte chiffrée du numéro : le registre ne garde jamais le numéro lui-même."),
        },
        "opposition_in_force": {"active": state.active, "purposes": _purposes(state.purposes)},
        "history": [{
            "version": version.version,
            "action": version.action,
            "action_label": str(labels.ACTION_LABELS[version.action]),
            "purposes": _purposes(version.purposes),
            "channel": version.channel,
            "actor": version.actor,
            "proxy_for": version.proxy_for,
            "filed_by": version.filed_by,
            "effective_at": _iso(version.effective_at),
            "recorded_at": _iso(version.recorded_at),
            "receipt_reference": version.receipt_reference,
        } for version in person.history],
        "applied_by_warehouses": [{
            "warehouse": application.warehouse,
            "purpose": application.purpose.code,
            "first_applied_at": _iso(application.first_applied_at),
            "last_applied_at": _iso(application.last_applied_at),
        } for application in person.applications],
    }


def export_document(record: AccountRecord) -> dict:
    account = record.account
    return {
        "service": _("Registre national d'opposition"),
        "generated_at": _iso(record.generated_at),
        "account": {
            "identity_provider": account.issuer,
            "subject_at_identity_provider": account.subject,
            "created_at": _iso(account.created_at),
            "last_login_at": _iso(account.last_login_at),
        },
        "people": [_person(person) for person in record.people],
    }


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, _latin1(label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def export_pdf(record: AccountRecord) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(_latin1(_("Mes données")))
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, "RÉPUBLIQUE\nFRANÇAISE", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin1(_("Mes données au Registre national d'opposition")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin1(_("Document établi le %(date)s.", date=format_datetime(record.generated_at, "long"))), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 7, _latin1(_("Mon compte")), new_x="LMARGIN", new_y="NEXT")
    account = record.account
    _row(pdf, _("Fournisseur d'identité"), account.issuer)
    _row(pdf, _("Identifiant chez le fournisseur d'identité"), account.subject)
    _row(pdf, _("Compte créé le"), format_datetime(account.created_at, "long"))
    _row(pdf, _("Dernière connexion le"), format_datetime(account.last_login_at, "long"))
    for person in record.people:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        concerns = _("Pour vous-même") if person.link.relation == "self" else str(labels.PROXY_KIND_LABELS[person.link.proxy_for])
        pdf.multi_cell(0, 7, _latin1(concerns), new_x="LMARGIN", new_y="NEXT")
        if person.state.active:
            status = _("Opposition en vigueur") + " : " + ", ".join(str(labels.PURPOSE_LABELS[p]) for p in person.state.purposes)
        else:
            status = _("Aucune opposition en vigueur")
        _row(pdf, _("Situation"), status)
        _row(pdf, _("Empreinte chiffrée du numéro"), person.link.subject.id_hash.hex())
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(_("Historique")), new_x="LMARGIN", new_y="NEXT")
        for version in person.history:
            _row(pdf, f"{format_datetime(version.effective_at, 'short')} - {labels.ACTION_LABELS[version.action]}",
                 _("Canal : %(channel)s. Récépissé : %(reference)s.", channel=labels.CHANNEL_LABELS[version.channel],
                   reference=version.receipt_reference))
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(_("Qui a appliqué cette opposition")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        if not person.applications:
            pdf.multi_cell(0, 5, _latin1(_("Aucun entrepôt de données de santé ne l'a encore appliquée.")), new_x="LMARGIN", new_y="NEXT")
        for application in person.applications:
            pdf.multi_cell(0, 5, _latin1(f"{application.warehouse} - {labels.PURPOSE_LABELS[application.purpose]} - "
                                         f"{format_datetime(application.last_applied_at, 'short')}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _latin1(_("Le registre ne garde ni votre numéro de sécurité sociale en clair, ni votre nom, ni votre date de naissance, ni votre adresse IP.")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
