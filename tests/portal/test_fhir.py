"""FHIR R4 over real HTTP: the CapabilityStatement and every Parameters resource parse and
validate with the ``fhir.resources`` models (R4B: R4's Parameters, CapabilityStatement, Bundle and
Consent); ``$opposition-check`` agrees with ``/api/v1/lookup`` on every identifier the lookup
tests use, under the same token, scope, quota and permits; the "Mes données" Bundle of Consent
resources validates and never holds a number, and a proxy holder's holds no hash."""

import json

import pytest
import requests
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationdefinition import OperationDefinition
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters

from registry.purposes import Purpose
from tests.portal.api.conftest import LiveServer, api_app, auth, live, make_api_app, warehouse  # noqa: F401
from tests.portal.api.test_lookup import AI_ONLY, FREE, OPPOSED, file, lookup
from tests.portal.api.test_permits import add_permits
from tests.registry.nir_factory import spaced

NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
SENT = [spaced(OPPOSED), "not a number", FREE, AI_ONLY, OPPOSED[:-2] + "00", OPPOSED.lower(), "x" * 15, "1 23"]


def parameters(purpose, identifiers, permit=None, system=NIR_SYSTEM) -> dict:
    parameter = [{"name": "purpose", "valueCode": purpose}]
    if permit is not None:
        parameter.append({"name": "permit", "valueString": permit})
    parameter += [{"name": "identifier", "valueIdentifier": {"system": system, "value": value}}
                  for value in identifiers]
    return {"resourceType": "Parameters", "parameter": parameter}


def check(live, headers, body, content_type="application/fhir+json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(live.url + "/fhir/r4/$opposition-check", data=data, timeout=30,
                         headers={**headers, "Content-Type": content_type})


def as_lookup_results(answer: dict) -> list[dict]:
    """The ``result`` parts of a ``$opposition-check`` answer, written as the lookup API's results."""
    results = []
    for parameter in answer["parameter"]:
        if parameter["name"] != "result":
            continue
        parts = {part["name"]: part for part in parameter["part"]}
        result = {"identifier": parts["identifier"]["valueIdentifier"]["value"]}
        if "error" in parts:
            result["error"] = parts["error"]["valueCode"]
        else:
            result["opposed"] = parts["opposed"]["valueBoolean"]
        if "exception" in parts:
            result["exception"] = parts["exception"]["valueString"]
        results.append(result)
    return results


def test_the_capability_statement_and_operation_definition_validate(live):
    metadata = requests.get(live.url + "/fhir/r4/metadata", timeout=30)
    assert metadata.status_code == 200 and metadata.headers["Content-Type"] == "application/fhir+json"
    statement = CapabilityStatement.model_validate(metadata.json())
    assert statement.fhirVersion == "4.0.1" and statement.rest[0].operation[0].name == "opposition-check"
    definition = requests.get(statement.rest[0].operation[0].definition, timeout=30)
    assert OperationDefinition.model_validate(definition.json()).code == "opposition-check"


@pytest.mark.parametrize("purpose", [p.code for p in (Purpose.RESEARCH, Purpose.AI, Purpose.STATISTICS)])
def test_opposition_check_agrees_with_the_lookup_api_on_every_identifier(live, auth, database_url, purpose):
    file(database_url, OPPOSED)
    file(database_url, AI_ONLY, [Purpose.AI])
    sent = parameters(purpose, SENT)
    Parameters.model_validate(sent)
    response = check(live, auth, sent)
    assert response.status_code == 200, response.text
    answer = response.json()
    Parameters.model_validate(answer)
    expected = lookup(live, auth, {"purpose": purpose, "identifiers": SENT}).json()
    assert as_lookup_results(answer) == expected["results"]
    head = {p["name"]: p for p in answer["parameter"] if p["name"] != "result"}
    assert head["purpose"]["valueCode"] == purpose and head["valid_until"]["valueInstant"].endswith("Z")
    # in the same order, each identifier as it was sent
    assert [p["part"][0]["valueIdentifier"] for p in answer["parameter"] if p["name"] == "result"] == [
        {"system": NIR_SYSTEM, "value": value} for value in SENT]


def test_under_a_permit_and_its_exception_the_answers_agree_too(live, auth, warehouse, database_url):
    file(database_url, OPPOSED)
    add_permits(database_url, warehouse["client_id"], live.create_warehouse("EDS voisin")["client_id"])
    for permit, purpose in (("P-OK", "research"), ("P-EXC", "statistics")):
        answer = check(live, auth, parameters(purpose, SENT, permit)).json()
        Parameters.model_validate(answer)
        expected = lookup(live, auth, {"purpose": purpose, "identifiers": SENT, "permit": permit}).json()
        assert as_lookup_results(answer) == expected["results"]
        assert {"name": "permit", "valueString": permit} in answer["parameter"]
    refused = check(live, auth, parameters("research", [OPPOSED], "P-OTHER"))
    assert refused.status_code == 403
    issue = OperationOutcome.model_validate(refused.json()).issue[0]
    assert issue.details.coding[0].code == "permit_not_held"


def test_an_identifier_of_another_system_is_answered_with_an_error_alone(live, auth, database_url):
    file(database_url, OPPOSED)
    body = parameters("research", [OPPOSED])
    body["parameter"].append({"name": "identifier", "valueIdentifier": {"system": "urn:oid:1.2.3", "value": OPPOSED}})
    results = as_lookup_results(check(live, auth, body).json())
    assert results == [{"identifier": OPPOSED, "opposed": True}, {"identifier": OPPOSED, "error": "system"}]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    (b"{not json", "application/fhir+json", 400, "malformed_json"),
    (parameters("research", [OPPOSED]), "text/plain", 415, "unsupported_media_type"),
    ({"resourceType": "Bundle"}, "application/fhir+json", 422, "invalid_request"),
    ({"resourceType": "Parameters", "parameter": [{"name": "purpose", "valueCode": "research"}]},
     "application/fhir+json", 422, "invalid_request"),
    (parameters("nope", [OPPOSED]), "application/fhir+json", 422, "unknown_purpose"),
    ({"resourceType": "Parameters", "parameter": [{"name": "other", "valueString": "x"}]},
     "application/fhir+json", 422, "invalid_request"),
    ({"resourceType": "Parameters", "parameter": [{"name": "identifier", "valueIdentifier": "x"}]},
     "application/fhir+json", 422, "invalid_request"),
    (parameters("research", [OPPOSED] * 10_001), "application/fhir+json", 413, "too_many_identifiers"),
])
def test_a_bad_call_is_an_operation_outcome_with_the_lookup_apis_code(live, auth, body, content_type, status, code):
    response = check(live, auth, body, content_type)
    assert response.status_code == status and response.headers["Content-Type"] == "application/fhir+json"
    assert OperationOutcome.model_validate(response.json()).issue[0].details.coding[0].code == code


def test_the_token_and_scope_are_those_of_the_lookup_api(live, auth, warehouse):
    body = parameters("research", [OPPOSED])
    assert check(live, {}, body).status_code == 401
    assert check(live, {"Authorization": "Bearer nope"}, b"{not json").status_code == 401  # the token first
    jobs_only = live.create_warehouse("EDS tâches", "--scope", "jobs")
    refused = check(live, {"Authorization": "Bearer " + live.token(jobs_only)}, body)
    assert refused.status_code == 403
    assert OperationOutcome.model_validate(refused.json()).issue[0].details.coding[0].code == "insufficient_scope"


def test_the_quota_is_shared_with_the_lookup_api(database_url, tmp_path):
    app = make_api_app(database_url, tmp_path, API_RATE_LIMIT="2 per minute")
    with LiveServer(app) as live:
        headers = {"Authorization": "Bearer " + live.token(live.create_warehouse("EDS quota"))}
        assert lookup(live, headers, {"purpose": "research", "identifiers": [FREE]}).status_code == 200
        assert check(live, headers, parameters("research", [FREE])).status_code == 200
        third = check(live, headers, parameters("research", [FREE]))
        assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
        assert lookup(live, headers, {"purpose": "research", "identifiers": [FREE]}).status_code == 429
    from portal.database import db

    db.dispose(app)
