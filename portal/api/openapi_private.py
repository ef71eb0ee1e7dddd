"""The private-lookup part of the OpenAPI document (merged into it by ``openapi_document``)."""

from __future__ import annotations

from portal.api.openapi import (AUTH_ERRORS, CHECKED_AT, PERMIT, PURPOSE_CODES, UNAVAILABLE, VALID_UNTIL, _json,
                                _problem)

B64 = {"type": "string", "contentEncoding": "base64"}
ELEMENT = {"type": "string", "contentEncoding": "base64", "pattern": "^[A-Za-z0-9+/]{43}=$",
           "description": "A serialised ristretto255 element (32 bytes)."}
PURPOSE_PARAMETER = {"name": "purpose", "in": "query", "required": True,
                     "schema": {"type": "string", "enum": PURPOSE_CODES}}

PATHS = {
    "/api/v1/private/key": {"get": {
        "summary": "The registry's OPRF public key (RFC 9497, VOPRF, ristretto255-SHA512)",
        "operationId": "privateKey",
        "security": [{}],
        "responses": {"200": _json("The public key and its id.", "PrivateKey")},
    }},
    "/api/v1/private/evaluate": {"post": {
        "summary": "Evaluate 1 to 10,000 blinded elements, with one batched DLEQ proof",
        "operationId": "privateEvaluate",
        "security": [{"bearer": ["private-lookup"]}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/EvaluateRequest"}}}},
        "responses": {
            "200": _json("The evaluated elements in input order and the proof.", "EvaluateResponse"),
            "400": _problem("The body is not JSON (`malformed_json`)."),
            "403": _problem("No scope (`insufficient_scope`), no declared cohort (`no_private_allowance`), or a "
                            "permit that may not be used: `permit_expired`, `permit_not_started`, `permit_not_held`, "
                            "`permit_purpose_not_covered`, or `permit_exception_not_private` (a permit with a "
                            "public-interest exception: the private mode cannot tell who is opposed)."),
            "413": _problem("More than 10,000 elements (`too_many_elements`) or a body too large."),
            "415": _problem("The body is not application/json."),
            "422": _problem("Wrong shape, unknown purpose, unknown permit (`unknown_permit`), or an element that is "
                            "not a group element."),
            "429": {**_problem("The daily or total allowance is used up (`private_quota_exceeded`), or "
                               "the request quota (`rate_limited`)."),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
            "401": AUTH_ERRORS["401"],
            **UNAVAILABLE,
        },
    }},
    "/api/v1/private/filter": {"get": {
        "summary": "The filter of opposed OPRF outputs for a purpose, full or as a delta",
        "operationId": "privateFilter",
        "security": [{"bearer": ["private-lookup"]}],
        "parameters": [
            PURPOSE_PARAMETER,
            {"name": "since", "in": "query", "required": False,
             "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
             "description": "A version the client holds: answers the changes since then when few."},
            {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "The full filter, or a delta when `since` was given and changes are few.",
                    "headers": {"ETag": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/Filter"}, {"$ref": "#/components/schemas/FilterDelta"}]}}}},
            "304": {"description": "The filter has not changed since the ETag sent."},
            "422": _problem("Unknown purpose or a malformed `since`."),
            **AUTH_ERRORS,
        },
    }},
    "/api/v1/private/acknowledgements": {"post": {
        "summary": "Report the counts of a private run (no identifier, no output)",
        "operationId": "privateAcknowledge",
        "security": [{"bearer": ["private-lookup"]}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Acknowledgement"}}}},
        "responses": {
            "201": {"description": "Received.", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"status": {"type": "string"}}}}}},
            "400": _problem("The body is not JSON."),
            "415": _problem("The body is not application/json."),
            "422": _problem("Wrong shape, unknown purpose or inconsistent counts."),
            **AUTH_ERRORS,
        },
    }},
}

_COUNT = {"type": "integer", "minimum": 0, "maximum": 100_000_000}

SCHEMAS = {
    "PrivateKey": {"type": "object", "required": ["key_id", "public_key", "suite", "mode"],
                   "properties": {"key_id": {"type": "string"}, "public_key": B64,
                                  "suite": {"type": "string"}, "mode": {"type": "string"}}},
    "EvaluateRequest": {"type": "object", "required": ["purpose", "blinded_elements"],
                        "properties": {"purpose": {"type": "string", "enum": PURPOSE_CODES},
                                       "blinded_elements": {"type": "array", "minItems": 1, "maxItems": 10000,
                                                            "items": ELEMENT},
                                       "permit": {**PERMIT, "description": (
                                           "The data permit the run serves: recorded with the counts. A permit "
                                           "with a public-interest exception is refused in this mode.")}}},
    "EvaluateResponse": {"type": "object", "required": ["key_id", "evaluated_elements", "proof"],
                         "properties": {"key_id": {"type": "string"},
                                        "evaluated_elements": {"type": "array", "items": B64}, "proof": B64}},
    "Filter": {"type": "object", "required": ["purpose", "key_id", "version", "prefix_size", "count", "prefixes"],
               "properties": {"purpose": {"type": "string"}, "key_id": {"type": "string"},
                              "version": {"type": "integer"}, "prefix_size": {"type": "integer"},
                              "count": {"type": "integer"}, "prefixes": B64,
                              "checked_at": CHECKED_AT, "valid_until": VALID_UNTIL}},
    "FilterDelta": {"type": "object", "required": ["purpose", "key_id", "since", "version", "added", "removed"],
                    "properties": {"purpose": {"type": "string"}, "key_id": {"type": "string"},
                                   "since": {"type": "integer"}, "version": {"type": "integer"},
                                   "prefix_size": {"type": "integer"},
                                   "checked_at": CHECKED_AT, "valid_until": VALID_UNTIL,
                                   "added": {"type": "array", "items": B64},
                                   "removed": {"type": "array", "items": B64}}},
    "Acknowledgement": {"type": "object", "required": ["purpose", "cohort_size", "opposed_count", "filter_version"],
                        "properties": {"purpose": {"type": "string", "enum": PURPOSE_CODES},
                                       "cohort_size": _COUNT, "opposed_count": _COUNT, "filter_version": _COUNT}},
}


def add_private_lookup(document: dict) -> dict:
    document["paths"].update(PATHS)
    document["components"]["schemas"].update(SCHEMAS)
    scopes = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    scopes["private-lookup"] = "Private lookup (blinded evaluation, filter)"
    return document
