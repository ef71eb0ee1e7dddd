"""The citizen's "Mes données" as a FHIR R4 ``Bundle`` of ``Consent`` resources
(``/mon-espace/mes-donnees.fhir.json``, English twin under ``/en``).

What is in it is what ``registry.visibility`` lets the account see, as in the JSON and PDF export
(``portal.mydata.export``). For the person the account proved to be: one ``Consent`` per version
of their opposition, newest first, the one in force ``active`` (``inactive`` once withdrawn or
replaced), each with a provision per purpose (``deny`` where the person opposed it, ``permit``
otherwise) and the period it held. The person is a pseudonymous reference: the keyed hash the
export already shows, never the number. A public-interest exception applied to them is a
``permit`` provision naming the data permit and the decision. For each of the account's own
claims on someone else: one ``Consent`` for that claim only, the person referred to by display
text (no hash: two holders comparing exports would learn they filed for the same person).
"""

from __future__ import annotations

import uuid

import orjson
from flask import Blueprint, Response
from flask_login import login_required

from registry.account_data import account_record
from registry.daily_filings import paris_day
from registry.models import Subject, utcnow
from registry.ownership import citizen_for
from registry.purposes import Purpose
from registry.freshness import stamp

from portal.auth import current_account_id
from portal.database import db
from portal.fhir import FHIR_JSON
from portal.fhir.views import PURPOSE_SYSTEM
from portal.keys import keyring

bp = Blueprint("fhir_export", __name__)

PSEUDONYM_SYSTEM = "urn:registre-opposition:person-hmac-sha256"
RECEIPT_SYSTEM = "urn:registre-opposition:receipt"
PERMIT_SYSTEM = "urn:registre-opposition:permit"
SCOPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research",
                     "display": "Research"}]}
CATEGORY = [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}]
OPT_OUT = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]}


def _purpose(purpose: Purpose) -> dict:
    return {"system": PURPOSE_SYSTEM, "code": purpose.code, "display": purpose.label}


def _provisions(mask: int) -> list[dict]:
    return [{"type": "deny" if mask & purpose.bit else "permit", "purpose": [_purpose(purpose)]}
            for purpose in Purpose]


def _consent(versions, mask_of, patient: dict, *, current: bool, exceptions=()) -> list[dict]:
    """One ``Consent`` per version (newest first); each holds until the next one."""
    consents = []
    ends = [None] + [version.effective_at for version in versions[:-1]]
    for position, (version, end) in enumerate(zip(versions, ends)):
        mask = mask_of(version)
        period = {"start": stamp(version.effective_at)}
        if end is not None:
            period["end"] = stamp(end)
        provisions = _provisions(mask)
        if position == 0:
            provisions += exceptions
        consents.append({
            "resourceType": "Consent",
            "id": version.receipt_reference.lower(),
            "identifier": [{"system": RECEIPT_SYSTEM, "value": version.receipt_reference}],
            "status": "active" if current and position == 0 and mask else "inactive",
            "scope": SCOPE,
            "category": CATEGORY,
            "patient": patient,
            "dateTime": stamp(version.effective_at),
            "policyRule": OPT_OUT,
            "provision": {"type": "deny" if mask else "permit", "period": period, "provision": provisions},
        })
    return consents


def _exceptions(person) -> list[dict]:
    """A ``permit`` provision for each public-interest exception applied to the person."""
    return [{"type": "permit",
             "period": {"start": stamp(application.first_seen), "end": stamp(application.last_seen)},
             "purpose": [_purpose(application.purpose)],
             "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                             "code": "IRCP"}]},
                        "reference": {"display": application.warehouse_name}}],
             "data": [{"meaning": "related",
                       "reference": {"identifier": {"system": PERMIT_SYSTEM, "value": application.permit_reference},
                                     "display": f"{application.permit_title} ({application.exception_reference}: "
                                                f"{application.exception_basis})"}}]}
            for application in person.applications if application.exception]


def consent_bundle(session, record) -> dict:
    """The account's record (``registry.account_data.AccountRecord``) as a ``Bundle``."""
    entries = []
    person = record.view.person
    if person is not None:
        digest = session.get(Subject, person.subject_id).id_hash.hex()
        patient = {"identifier": {"system": PSEUDONYM_SYSTEM, "value": digest},
                   "display": "Pseudonymous person (keyed hash of the number)"}
        entries += _consent(person.history, lambda v: v.purposes_mask, patient, current=True,
                            exceptions=_exceptions(person))
    for claim_record in record.view.claims:
        patient = {"display": "The person this account filed for (claim only)"}
        entries += _consent(claim_record.history, lambda v: v.claim_mask or 0, patient,
                            current=claim_record.claim.active)
    return {"resourceType": "Bundle", "type": "collection", "timestamp": stamp(record.generated_at),
            "entry": [{"fullUrl": f"urn:uuid:{_uuid(consent['id'])}", "resource": consent} for consent in entries]}


def _uuid(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, RECEIPT_SYSTEM + ":" + text))


@bp.get("/mon-espace/mes-donnees.fhir.json")
@login_required
def download_fhir():
    session = db.session()
    citizen = citizen_for(session, keyring(), current_account_id())
    record = account_record(session, citizen, paris_day(utcnow()))
    response = Response(orjson.dumps(consent_bundle(session, record)), mimetype=FHIR_JSON)
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.fhir.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
