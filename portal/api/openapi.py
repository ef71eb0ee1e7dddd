"""The OpenAPI 3.1 document of the API, served at ``/api/v1/openapi.json``.

Written by hand next to the views it describes; the test suite runs schemathesis against it on a
live server, so a view and its description cannot drift apart unnoticed.
"""

from __future__ import annotations

from registry.identifiers import REASONS
from registry.purposes import Purpose

from portal.api.problems import TITLES

CHECKED_AT = {"type": "string", "format": "date-time", "description": "When the registry was read for this answer."}
VALID_UNTIL = {"type": "string", "format": "date-time", "description": (
    "Until when the answer may be relied on (checked_at plus the registry's validity period, 7 days by "
    "default): after it, check again before using or releasing the data.")}


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


UNAVAILABLE = {"503": {**_problem("The registry's database cannot answer now (`service_unavailable`); "
                                   "try again after `Retry-After` seconds."),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}
AUTH_ERRORS = {
    "401": _problem("No token, or an unknown, expired or revoked one (`missing_token`, `invalid_token`)."),
    "403": _problem("The token lacks the scope (`insufficient_scope`)."),
    "429": {**_problem("Quota exceeded (`rate_limited`); wait for `Retry-After` seconds."),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
    **UNAVAILABLE,
}
PURPOSE_CODES = [p.code for p in Purpose]
PERMIT = {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
          "description": (
              "The reference of the data permit (EHDS art. 68) the lookup serves, as the public register "
              "(`/autorisations-d-acces`) lists it. The person whose opposition it applies sees the project. "
              "Refused when unknown (422 `unknown_permit`), ended (403 `permit_expired`), not started "
              "(403 `permit_not_started`), not held by the caller's warehouse (403 `permit_not_held`) or not "
              "covering the purpose (403 `permit_purpose_not_covered`).")}
PERMIT_403 = ("The token lacks the scope (`insufficient_scope`), or the permit may not be used: "
              "`permit_expired`, `permit_not_started`, `permit_not_held`, `permit_purpose_not_covered`.")
JOB_RESULTS_EXAMPLE = "line,status,reason\n2,not_opposed,\n3,opposed,\n5,invalid,checksum\n"
JOB_RESULTS_DESCRIPTION = (
    "A CSV file with the header `line,status,reason` and one row per checked line of the uploaded "
    "file, in input order. `line` is the line's number in the upload, counting from 1 (a header "
    "line, when there is one, is line 1); the header and blank lines get no row. `status` is "
    "`not_opposed` (valid, may be used for the purpose), `opposed` (may not) or `invalid`; "
    "`reason` is, for `invalid` lines, the identifier error code (see `/api/v1/purposes`); for "
    "`opposed` lines of a job under a permit with a public-interest exception, `exception` (the "
    "person may be included under it: the job's `exception` names it); empty otherwise. The results hold no identifier: rebuild the cleaned cohort and the "
    "report of invalid lines from your own copy of the file (`registre-check` does). The "
    "uploaded file is deleted as soon as the job is done or failed; the results are deleted at "
    "`expires_at`."
)


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Registre national d'opposition: lookup API",
            "version": "1.0.0",
            "description": (
                "Health-data warehouses check identifiers (NIR/NIA) against the national registry "
                "of opposition to the secondary use of health data before using data. Authenticate "
                "with OAuth2 client credentials at `/api/v1/token`. Errors are RFC 9457 problem "
                "details with a stable `code`."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/token": {"post": {
                "summary": "Get an access token (OAuth2 client credentials)",
                "operationId": "token",
                "security": [{"clientBasic": []}, {}],
                "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "const": "client_credentials"},
                        "scope": {"type": "string", "examples": ["lookup jobs"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    }}}}},
                "responses": {
                    "200": _json("A bearer token valid 15 minutes at most.", "Token"),
                    "400": _problem("OAuth2 error (`invalid_request`, `invalid_scope`, `unsupported_grant_type`...)."),
                    "401": _problem("Unknown client, wrong secret or disabled client (`invalid_client`)."),
                    "405": _problem("Only POST is allowed."),
                    "429": {**_problem("Too many token requests from this address or for this client id "
                                       "(`rate_limited`); wait for `Retry-After` seconds."),
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
                    **UNAVAILABLE,
                },
            }},
            "/api/v1/lookup": {"post": {
                "summary": "Check a batch of 1 to 10,000 identifiers for one purpose",
                "operationId": "lookup",
                "security": [{"bearer": ["lookup"]}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/LookupRequest"}}}},
                "responses": {
                    "200": _json("One result per identifier, in input order.", "LookupResponse"),
                    "400": _problem("The body is not JSON (`malformed_json`)."),
                    "413": _problem("More than 10,000 identifiers (`too_many_identifiers`) or a body too large."),
                    "415": _problem("The body is not application/json (`unsupported_media_type`)."),
                    "422": _problem("Wrong shape (`invalid_request`), unknown purpose (`unknown_purpose`) or "
                                    "unknown permit (`unknown_permit`)."),
                    **AUTH_ERRORS,
                    "403": _problem(PERMIT_403),
                },
            }},
            "/api/v1/jobs": {"post": {
                "summary": "Send a whole cohort file as a background job",
                "description": (
                    "One identifier a line, with or without a header line. The file is kept only "
                    "until the job is done or failed; the job's answer is a status per line "
                    "(`GET /api/v1/jobs/{job_id}/result`), without any identifier."
                ),
                "operationId": "createJob",
                "security": [{"bearer": ["jobs"]}],
                "parameters": [{"name": "purpose", "in": "query", "required": True,
                                "schema": {"type": "string", "enum": PURPOSE_CODES}},
                               {"name": "permit", "in": "query", "required": False, "schema": PERMIT,
                                "description": PERMIT["description"]}],
                "requestBody": {"required": True, "content": {
                    "text/csv": {"schema": {"type": "string", "minLength": 1}},
                    "text/plain": {"schema": {"type": "string", "minLength": 1}}}},
                "responses": {
                    "202": {**_json("The job is queued.", "Job"),
                            "headers": {"Location": {"schema": {"type": "string"}}}},
                    "413": _problem("The file is too large (`body_too_large`)."),
                    "415": _problem("The body is not text/csv or text/plain."),
                    "422": _problem("Unknown purpose, unknown permit (`unknown_permit`), or an empty file."),
                    **AUTH_ERRORS,
                    "403": _problem(PERMIT_403),
                },
            }},
            "/api/v1/jobs/{job_id}": {"get": {
                "summary": "A job's status, progress and counts",
                "operationId": "getJob",
                "security": [{"bearer": ["jobs"]}],
                "parameters": [{"$ref": "#/components/parameters/JobId"}],
                "responses": {
                    "200": _json("The job.", "Job"),
                    "404": _problem("No such job for this client (`job_not_found`)."),
                    **AUTH_ERRORS,
                },
            }},
            "/api/v1/jobs/{job_id}/result": {"get": {
                "summary": "The job's line results, as CSV (no identifier)",
                "description": JOB_RESULTS_DESCRIPTION,
                "operationId": "getJobResult",
                "security": [{"bearer": ["jobs"]}],
                "parameters": [{"$ref": "#/components/parameters/JobId"}],
                "responses": {
                    "200": {"description": "`line,status,reason`, one row per checked line, in input order.",
                            "content": {"text/csv": {"schema": {"type": "string"}, "example": JOB_RESULTS_EXAMPLE}}},
                    "404": _problem("No such job for this client (`job_not_found`)."),
                    "409": _problem("The job has not finished, or it failed (`job_not_ready`)."),
                    "410": _problem("The job's results were deleted after retention (`job_expired`)."),
                    "422": _problem("`part`, a parameter of the former two-file result, is refused "
                                    "(`invalid_request`)."),
                    **AUTH_ERRORS,
                },
            }},
            "/api/v1/purposes": {"get": {
                "summary": "Purpose codes and identifier error codes",
                "operationId": "purposes",
                "security": [],
                "responses": {"200": _json("The codes.", "Purposes")},
            }},
            "/api/v1/health": {"get": {
                "summary": "Whether the service and its database answer",
                "operationId": "health",
                "security": [],
                "responses": {"200": _json("Up.", "Health"), **UNAVAILABLE},
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "clientBasic": {"type": "http", "scheme": "basic"},
                "oauth2": {"type": "oauth2", "flows": {"clientCredentials": {
                    "tokenUrl": "/api/v1/token",
                    "scopes": {"lookup": "Batch lookups", "jobs": "Cohort jobs"}}}},
            },
            "parameters": {"JobId": {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}},
            "schemas": {
                "Problem": {
                    "type": "object", "required": ["type", "title", "status", "code"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "code": {"type": "string", "examples": sorted(TITLES)},
                        "detail": {"type": "string"},
                        "pointer": {"type": "string"},
                    },
                },
                "Token": {
                    "type": "object", "required": ["access_token", "token_type", "expires_in"],
                    "properties": {
                        "access_token": {"type": "string"},
                        "token_type": {"type": "string", "const": "Bearer"},
                        "expires_in": {"type": "integer", "maximum": 900},
                        "scope": {"type": "string"},
                    },
                },
                "LookupRequest": {
                    "type": "object", "required": ["purpose", "identifiers"],
                    "properties": {
                        "purpose": {"type": "string", "enum": PURPOSE_CODES},
                        "identifiers": {"type": "array", "minItems": 1, "maxItems": 10000,
                                        "items": {"type": "string"}},
                        "permit": PERMIT,
                    },
                },
                "LookupResponse": {
                    "type": "object", "required": ["purpose", "checked_at", "valid_until", "results"],
                    "properties": {
                        "purpose": {"type": "string", "enum": PURPOSE_CODES},
                        "checked_at": CHECKED_AT,
                        "valid_until": VALID_UNTIL,
                        "permit": {"type": "string", "description": "The permit the lookup served, when it named one."},
                        "results": {"type": "array", "items": {"oneOf": [
                            {"type": "object", "required": ["identifier", "opposed"], "additionalProperties": False,
                             "properties": {"identifier": {"type": "string"}, "opposed": {"type": "boolean"},
                                            "exception": {"type": "string", "description": (
                                                "Under a permit with a public-interest exception (EHDS art. "
                                                "71(4)), on an opposed person: the exception's decision "
                                                "reference. The warehouse may include the person under it; the "
                                                "registry records it for them.")}}},
                            {"type": "object", "required": ["identifier", "error"], "additionalProperties": False,
                             "properties": {"identifier": {"type": "string"},
                                            "error": {"type": "string", "enum": sorted(REASONS)}}},
                        ]}},
                    },
                },
                "Job": {
                    "type": "object", "required": ["id", "status", "purpose", "progress", "counts"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "expired"]},
                        "purpose": {"type": "string", "enum": PURPOSE_CODES},
                        "permit": {"type": "string", "description": "The permit the job serves, when it named one."},
                        "exception": {"type": ["string", "null"], "description": (
                            "That permit's public-interest exception (decision reference), or null.")},
                        "progress": {"type": "number", "minimum": 0, "maximum": 1},
                        "counts": {"type": "object", "properties": {
                            k: {"type": "integer"} for k in ("lines", "kept", "opposed", "invalid")}},
                        "created_at": {"type": ["string", "null"]},
                        "started_at": {"type": ["string", "null"]},
                        "finished_at": {"type": ["string", "null"]},
                        "expires_at": {"type": ["string", "null"]},
                        "result": {"type": "string", "description": "Where the line results are, once done."},
                        "checked_at": {**CHECKED_AT, "description": "Once done: when the job started reading the "
                                                                    "registry; its results hold from then."},
                        "valid_until": VALID_UNTIL,
                    },
                },
                "Purposes": {
                    "type": "object", "required": ["purposes", "identifier_errors"],
                    "properties": {
                        "purposes": {"type": "array", "items": {"type": "object", "required": ["code", "label"],
                                     "properties": {"code": {"type": "string"}, "label": {"type": "string"}}}},
                        "identifier_errors": {"type": "array", "items": {"type": "object",
                                              "properties": {"code": {"type": "string"},
                                                             "message": {"type": "string"}}}},
                    },
                },
                "Health": {"type": "object", "required": ["status"],
                           "properties": {"status": {"type": "string"}, "database": {"type": "string"}}},
            },
        },
    }
