"""Citizen pages that read: understand, my space, receipts. The filing forms are in
``portal.citizen.filing``. What an account may see is decided by ``registry.visibility``: the
proved person sees everything about themself, any other holder its own claims only."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template
from flask_babel import format_datetime, get_locale, gettext as _
from flask_login import login_required

from registry.daily_filings import paris_day
from registry.models import utcnow
from registry.ownership import Citizen, citizen_for
from registry.visibility import Receipt, citizen_view, receipt_for

from portal.auth import current_account_id
from portal.citizen import labels
from portal.database import db
from portal.demo import DEMO_CITIZENS
from portal.keys import keyring
from portal.log_proofs import RECEIPT_FORMAT, ReceiptProof, b64, receipt_proof
from portal.receipts import ReceiptDocument, receipt_pdf

bp = Blueprint("citizen", __name__)


def today():
    """Today in Paris: the day proxy ages and visibility are judged on."""
    return paris_day(utcnow())


def current_citizen() -> Citizen:
    return citizen_for(db.session(), keyring(), current_account_id())


@bp.get("/comprendre")
def understand():
    return render_template(f"citizen/understand_{get_locale().language}.html", page_title=_("Comprendre"))


@bp.get("/mon-espace")
@login_required
def my_space():
    view = citizen_view(db.session(), current_citizen(), today())
    return render_template("citizen/my_space.html", view=view, labels=labels)


def _receipt_or_404(reference: str) -> Receipt:
    found = receipt_for(db.session(), current_citizen(), reference, today())
    if found is None:
        abort(404)
    return found


def receipt_facts(found: Receipt) -> dict:
    """What a receipt shows, the same on the page and in the PDF: the person's receipt shows the
    opposition in force after the change; a holder's shows its own claim only, and says so."""
    version = found.version
    if found.as_person:
        return {"title": labels.person_change(found.before_mask, version), "concerns": _("Vous-même"),
                "purposes": version.purposes, "ended": not version.purposes_mask,
                "held_since": found.held_since,
                "note": _("Ce récépissé indique l'opposition en vigueur pour vous après cette demande.")}
    claim = found.claim
    concerns = _("Vous-même") if claim.relation == "self" else str(labels.PROXY_KIND_LABELS[claim.proxy_for])
    claim_purposes = labels.purposes_of_mask(version.claim_mask or 0)
    return {"title": labels.claim_change(found.before_mask, version), "concerns": concerns,
            "purposes": claim_purposes, "ended": not version.claim_mask, "held_since": found.held_since,
            "note": _("Ce récépissé indique ce que contient votre demande. Il ne dit rien des autres demandes "
                      "éventuelles concernant cette personne : si vous retirez votre demande, la personne reste "
                      "opposée à ce que d'autres demandes couvrent.")}


def verifiable_receipt(found: Receipt, facts: dict, proof: ReceiptProof | None) -> dict:
    """The receipt as JSON: what it says, and its proof of inclusion in the public log, which
    ``registre-verify`` checks offline. No identifier, no name: only the receipt holder's facts."""
    version = found.version
    document = {
        "format": RECEIPT_FORMAT,
        "reference": version.receipt_reference,
        "request": str(facts["title"]),
        "concerns": str(facts["concerns"]),
        "purposes": [p.code for p in facts["purposes"]],
        "effective_at": version.effective_at.isoformat(),
        "channel": version.channel,
    }
    if proof is not None:
        document["transparency"] = proof.as_json()
    return document


def _json_name(reference: str) -> str:
    return f"recepisse-{reference}.json"


@bp.get("/mon-espace/recus/<reference>")
@login_required
def receipt(reference: str):
    found = _receipt_or_404(reference)
    return render_template("citizen/receipt.html", receipt=found, facts=receipt_facts(found), labels=labels,
                           proof=receipt_proof(found.version), b64=b64, page_title=_("Récépissé"))


@bp.get("/mon-espace/recus/<reference>.json")
@login_required
def receipt_json(reference: str):
    found = _receipt_or_404(reference)
    document = verifiable_receipt(found, receipt_facts(found), receipt_proof(found.version))
    response = Response(json.dumps(document, ensure_ascii=False, indent=2) + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{_json_name(reference)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mon-espace/recus/<reference>.pdf")
@login_required
def receipt_download(reference: str):
    found = _receipt_or_404(reference)
    version, facts = found.version, receipt_facts(found)
    proof = receipt_proof(version)
    attachment = json.dumps(verifiable_receipt(found, facts, proof), ensure_ascii=False, indent=2).encode()
    document = ReceiptDocument(
        title=_("Récépissé de votre demande"),
        service=_("Registre national d'opposition à la réutilisation des données de santé"),
        reference_label=_("Référence"),
        reference=version.receipt_reference,
        rows=[
            (_("Demande"), str(facts["title"])),
            (_("Personne concernée"), facts["concerns"]),
            (_("Date d'effet"), format_datetime(version.effective_at, "long")),
            (_("Canal"), str(labels.CHANNEL_LABELS[version.channel])),
        ],
        purposes_label=_("Usages auxquels la personne s'oppose") if found.as_person else _("Usages de votre demande"),
        purposes=[str(labels.PURPOSE_LABELS[p]) for p in facts["purposes"]],
        footer=str(facts["note"]) + " " + _("Conservez ce récépissé. Vous pouvez modifier ou retirer votre demande à tout moment depuis votre espace."),
        proof_label=_("Preuve d'inscription au journal public du registre (le fichier %(name)s joint à ce PDF "
                      "se vérifie avec registre-verify)", name=_json_name(reference)),
        proof_lines=tuple(_proof_lines(proof)),
        attachment_name=_json_name(reference),
        attachment=attachment,
    )
    response = Response(receipt_pdf(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="recepisse-{version.receipt_reference}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _proof_lines(proof: ReceiptProof | None) -> list[str]:
    if proof is None:
        return []
    body = proof.checkpoint.note.split("\n\n")[0].splitlines()
    return [*proof.leaf.decode().splitlines(), "", _("Entrée %(index)s du journal, point de contrôle signé :",
                                                     index=proof.leaf_index), *body]


@bp.get("/aide-developpement")
def dev_help():
    if current_app.config["PRODUCTION"]:
        abort(404)
    return render_template("citizen/dev_help.html", citizens=DEMO_CITIZENS, page_title=_("Aide au développement"))
