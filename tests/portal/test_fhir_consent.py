"""The citizen's "Mes données" as a FHIR Bundle of Consent resources: it validates (fhir.resources,
R4B models), holds one Consent per version with a provision per purpose and the dates, refers to
the person by keyed hash only (never the number), shows an exception applied to the proved person
as a permit provision, and gives a proxy holder its own claim only, without any hash."""

import json

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent

from registry.purposes import Purpose
from tests.portal.api.test_permits_citizens import DECISION, marie_under_permits
from tests.portal.test_mydata import (MARIE, app, assert_no_raw_number, number_hash,  # noqa: F401  (fixture)
                                      stranger_files_for_marie)


def bundle_of(client, path="/mon-espace/mes-donnees.fhir.json"):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    bundle = Bundle.model_validate_json(body)
    consents = [Consent.model_validate(entry.resource.model_dump()) for entry in bundle.entry]
    return body, json.loads(body), consents


def test_the_proved_person_gets_a_consent_per_version_with_provisions_per_purpose(app, client):
    marie, counter, on_marie, _ = stranger_files_for_marie(app, client)
    marie_under_permits(app)
    body, document, consents = bundle_of(marie)
    assert document["type"] == "collection"
    assert [c.identifier[0].value for c in consents] == [on_marie, counter]  # newest first
    assert [c.status for c in consents] == ["active", "inactive"]
    newest, oldest = consents
    assert newest.patient.identifier.value == number_hash(app, MARIE)
    assert oldest.provision.period.end == newest.provision.period.start
    per_purpose = {p.purpose[0].code: p.type for p in newest.provision.provision if p.type == "deny"}
    assert set(per_purpose) == {p.code for p in Purpose}  # opposed to all
    exception = [p for p in newest.provision.provision if p.type == "permit"]
    assert len(exception) == 1 and exception[0].purpose[0].code == "public_health"
    assert DECISION in exception[0].data[0].reference.display
    assert exception[0].data[0].reference.identifier.value == "HDH-EXC"
    assert_no_raw_number(body)
    assert client.get("/en/mon-espace/mes-donnees.fhir.json").status_code == 200


def test_a_proxy_holder_gets_its_own_claim_without_any_hash_or_exception(app, client):
    _, counter, on_marie, on_child = stranger_files_for_marie(app, client)
    marie_under_permits(app)
    body, _, consents = bundle_of(client)
    assert {c.identifier[0].value for c in consents} == {on_marie, on_child}
    for absent in (counter, number_hash(app, MARIE), DECISION, "HDH-"):
        assert absent not in body, absent
    assert all(c.patient.identifier is None for c in consents)
    assert_no_raw_number(body)


def test_the_fhir_export_needs_a_login(client):
    assert client.get("/mon-espace/mes-donnees.fhir.json").status_code == 302
