"""The FHIR R4 part of the OpenAPI document (``portal.fhir``): ``metadata`` and
``$opposition-check``, described enough for generated requests to reach the operation; FHIR
tooling reads the CapabilityStatement and OperationDefinition instead."""

from __future__ import annotations

from portal.api.openapi import AUTH_ERRORS, PERMIT, PURPOSE_CODES

FHIR_JSON = "application/fhir+json"


def _fhir(description: str, ref: str) -> dict:
    return {"description": description, "content": {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _outcome(description: str) -> dict:
    return _fhir(description, "OperationOutcome")


IDENTIFIER = {"type": "object", "required": ["system", "value"],
              "properties": {"system": {"type": "string", "enum": ["urn:oid:1.2.250.1.213.1.4.8",
                                                                  "urn:oid:1.2.250.1.213.1.4.9"]},
                             "value": {"type": "string", "minLength": 1, "pattern": "\\S"}}}
PATHS = {
    "/fhir/r4/metadata": {"get": {
        "summary": "FHIR R4 CapabilityStatement",
        "operationId": "fhirMetadata",
        "security": [],
        "responses": {"200": _fhir("The server's capabilities.", "FhirResource")},
    }},
    "/fhir/r4/$opposition-check": {"post": {
        "summary": "FHIR R4 operation: check identifiers, as POST /api/v1/lookup does",
        "description": (
            "A `Parameters` resource: `purpose` (valueCode), optional `permit` (valueString) and 1 to 10,000 "
            "`identifier` (valueIdentifier with the NIR or NIA OID). Answered with a `Parameters` resource: "
            "`purpose`, `checked_at`, `valid_until`, `permit`, then one `result` per identifier in input order "
            "(`identifier`, then `opposed` and `exception`, or `error`). Same token, scope, quota, permits and "
            "records as `/api/v1/lookup`; errors are `OperationOutcome` resources whose `details` carry the "
            "lookup API's problem code."),
        "operationId": "fhirOppositionCheck",
        "security": [{"bearer": ["lookup"]}],
        "requestBody": {"required": True, "content": {
            FHIR_JSON: {"schema": {"$ref": "#/components/schemas/CheckParameters"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/CheckParameters"}}}},
        "responses": {
            "200": _fhir("One result per identifier, in input order.", "FhirResource"),
            "400": _outcome("The body is not JSON (`malformed_json`)."),
            "401": _outcome("No token, or an unknown, expired or revoked one."),
            "403": _outcome("No `lookup` scope, or a permit that may not be used (its code)."),
            "413": _outcome("More than 10,000 identifiers (`too_many_identifiers`) or a body too large."),
            "415": _outcome("Not application/fhir+json (`unsupported_media_type`)."),
            "422": _outcome("Not a Parameters resource, no purpose or identifier, an unknown parameter, purpose "
                            "or permit."),
            "429": {**_outcome("Quota exceeded (shared with /api/v1/lookup)."),
                    "headers": AUTH_ERRORS["429"]["headers"]},
            "503": {**_outcome("The database cannot answer now."), "headers": AUTH_ERRORS["503"]["headers"]},
        },
    }},
}
SCHEMAS = {
    "FhirResource": {"type": "object", "required": ["resourceType"], "properties": {"resourceType": {"type": "string"}}},
    "OperationOutcome": {"type": "object", "required": ["resourceType", "issue"],
                         "properties": {"resourceType": {"const": "OperationOutcome"},
                                        "issue": {"type": "array", "minItems": 1}}},
    "CheckParameters": {
        "type": "object", "required": ["resourceType", "parameter"],
        "properties": {
            "resourceType": {"const": "Parameters"},
            "parameter": {"type": "array", "minItems": 2, "maxItems": 10002, "items": {"oneOf": [
                {"type": "object", "required": ["name", "valueCode"], "additionalProperties": False,
                 "properties": {"name": {"const": "purpose"}, "valueCode": {"type": "string", "enum": PURPOSE_CODES}}},
                {"type": "object", "required": ["name", "valueString"], "additionalProperties": False,
                 "properties": {"name": {"const": "permit"}, "valueString": PERMIT}},
                {"type": "object", "required": ["name", "valueIdentifier"], "additionalProperties": False,
                 "properties": {"name": {"const": "identifier"}, "valueIdentifier": IDENTIFIER}},
            ]}},
        },
    },
}


def add_fhir(document: dict) -> dict:
    document["paths"].update(PATHS)
    document["components"]["schemas"].update(SCHEMAS)
    return document
