"""``/fhir/r4``: ``metadata``, ``$opposition-check`` and its ``OperationDefinition``.

``$opposition-check`` takes a ``Parameters`` resource: ``purpose`` (``valueCode``, one of the
registry's purpose codes), optional ``permit`` (``valueString``, a data permit's reference) and
1 to 10,000 ``identifier`` (``valueIdentifier`` whose ``system`` is the INS OID of a NIR or NIA,
``urn:oid:1.2.250.1.213.1.4.8`` or ``.9``; ``.10``/``.11``, the test and demo numbers, are refused
outside test set-ups as the lookup API refuses them). It runs through the lookup API's own path
(``portal.api.views.checked_lookup``): the same token and scope, the same quota counter, the same
permit checks and records. The answer is a ``Parameters`` resource: ``purpose``, ``checked_at``,
``valid_until``, ``permit`` when one was named, then one ``result`` per identifier in input order,
with the identifier as sent and ``opposed`` (and ``exception`` under a permit's exception) or
``error`` (the lookup API's reason code; ``system`` for an identifier of another system).
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request, url_for
from werkzeug.exceptions import HTTPException

from registry.freshness import stamp, valid_until
from registry.purposes import Purpose

from portal.api import answer_validity, unexpected_problem
from portal.api.problems import TITLES, ApiProblem, from_http_exception
from portal.api.records import records_gathered
from portal.api.views import MAX_BATCH, checked_lookup, parse_permit, parse_purpose
from portal.fhir import FHIR_JSON, PREFIX

bp = Blueprint("fhir", __name__, url_prefix=PREFIX)

INS_SYSTEMS = {"urn:oid:1.2.250.1.213.1.4.8", "urn:oid:1.2.250.1.213.1.4.9",  # NIR, NIA
               "urn:oid:1.2.250.1.213.1.4.10", "urn:oid:1.2.250.1.213.1.4.11"}  # test, demo
PROBLEM_SYSTEM = "urn:registre-opposition:problem"
PURPOSE_SYSTEM = "urn:registre-opposition:purpose"
ISSUE_TYPES = {400: "structure", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               413: "too-costly", 415: "not-supported", 422: "invalid", 429: "throttled", 503: "transient"}


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(orjson.dumps(resource), status=status, mimetype=FHIR_JSON)
    response.headers.update(headers or {})
    return response


def outcome(status: int, code: str, detail: str | None = None, headers: dict | None = None) -> Response:
    """The lookup API's problem as an ``OperationOutcome``: its code in ``details``."""
    issue = {"severity": "error", "code": ISSUE_TYPES.get(status, "exception"),
             "details": {"coding": [{"system": PROBLEM_SYSTEM, "code": code}], "text": TITLES.get(code, code)}}
    if detail:
        issue["diagnostics"] = detail
    return fhir_response({"resourceType": "OperationOutcome", "issue": [issue]}, status, headers)


@bp.errorhandler(ApiProblem)
def _problem(error: ApiProblem):
    return outcome(error.status, error.code, error.detail, error.headers)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    problem = from_http_exception(error)
    body = orjson.loads(problem.get_data())
    return outcome(problem.status_code, body["code"], headers={k: v for k, v in problem.headers.items()
                                                               if k in ("Allow", "Retry-After")})


for _status in (400, 401, 403, 404, 405, 413, 415, 422, 429, 500, 503):
    bp.register_error_handler(_status, _http_error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    problem = unexpected_problem(error)
    return outcome(problem.status_code, orjson.loads(problem.get_data())["code"],
                   headers={k: v for k, v in problem.headers.items() if k == "Retry-After"})


@bp.get("/metadata")
def metadata():
    """The server's ``CapabilityStatement``: one operation, OAuth2 client credentials."""
    token_url = url_for("api.token", _external=True)
    return fhir_response({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-05",
        "publisher": "Registre national d'opposition",
        "kind": "instance",
        "software": {"name": "Registre national d'opposition"},
        "implementation": {"description": "Registre national d'opposition à la réutilisation des données de santé",
                           "url": request.url_root.rstrip("/") + PREFIX},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": ("Check identifiers against the national registry of opposition to the secondary "
                              "use of health data, as POST /api/v1/lookup does."),
            "security": {
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "OAuth"}]}],
                "description": f"OAuth2 client credentials at {token_url}; a bearer token with the scope 'lookup'.",
            },
            "operation": [{"name": "opposition-check",
                           "definition": url_for("fhir.operation_definition", _external=True)}],
        }],
    })


def _in_parameters() -> list[dict]:
    if request.mimetype not in (FHIR_JSON, "application/json"):
        raise ApiProblem(415, "unsupported_media_type", "Send a Parameters resource as application/fhir+json.")
    try:
        body = orjson.loads(request.get_data())
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "malformed_json") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise ApiProblem(422, "invalid_request", "The body must be a Parameters resource.", pointer="")
    parameters = body.get("parameter")
    if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
        raise ApiProblem(422, "invalid_request", "'parameter' must be an array of parameters.", pointer="/parameter")
    return parameters


def read_parameters() -> tuple[Purpose, list[str], str | None]:
    """The purpose, identifiers and permit of a ``$opposition-check`` call, as ``read_lookup``
    gives them; an identifier of another system is sent as an empty string and its result is
    then marked ``system`` (``request.fhir_systems`` keeps which)."""
    parameters = _in_parameters()
    purpose = permit = None
    identifiers, foreign = [], []
    for index, parameter in enumerate(parameters):
        name = parameter.get("name")
        if name == "purpose":
            purpose = parse_purpose(parameter.get("valueCode"))
        elif name == "permit":
            permit = parse_permit(parameter.get("valueString"), pointer=f"/parameter/{index}/valueString")
        elif name == "identifier":
            value = parameter.get("valueIdentifier")
            if not isinstance(value, dict) or not isinstance(value.get("value"), str):
                raise ApiProblem(422, "invalid_request", "Each identifier is a valueIdentifier with a value.",
                                 pointer=f"/parameter/{index}/valueIdentifier")
            foreign.append(value.get("system") not in INS_SYSTEMS)
            identifiers.append(value)
        else:
            raise ApiProblem(422, "invalid_request", "Parameters are purpose, permit and identifier.",
                             pointer=f"/parameter/{index}/name")
    if len(identifiers) > MAX_BATCH:
        raise ApiProblem(413, "too_many_identifiers", f"This call has {len(identifiers)} identifiers; split it.")
    if not identifiers:
        raise ApiProblem(422, "invalid_request", "Send at least one identifier.", pointer="/parameter")
    if purpose is None:
        raise ApiProblem(422, "invalid_request", "The purpose parameter is required.", pointer="/parameter")
    request.fhir_identifiers, request.fhir_foreign = identifiers, foreign
    return purpose, ["" if other else value["value"] for value, other in zip(identifiers, foreign)], permit


@bp.post("/$opposition-check")
def opposition_check():
    purpose, checked_at, answer = checked_lookup(read_parameters)
    until = valid_until(checked_at, answer_validity())
    out = [{"name": "purpose", "valueCode": purpose.code},
           {"name": "checked_at", "valueInstant": stamp(checked_at)},
           {"name": "valid_until", "valueInstant": stamp(until)}]
    grant = answer.permit
    if grant is not None:
        out.append({"name": "permit", "valueString": grant.reference})
    exception = grant.exception if grant is not None else None
    for sent, foreign, opposed, error in zip(request.fhir_identifiers, request.fhir_foreign, answer.opposed,
                                             answer.errors):
        part = [{"name": "identifier", "valueIdentifier": sent}]
        if foreign:
            part.append({"name": "error", "valueCode": "system"})
        elif error is not None:
            part.append({"name": "error", "valueCode": error})
        else:
            part.append({"name": "opposed", "valueBoolean": opposed})
            if opposed and exception is not None:
                part.append({"name": "exception", "valueString": exception})
        out.append({"name": "result", "part": part})
    response = fhir_response({"resourceType": "Parameters", "parameter": out})
    records_gathered(response)
    return response


@bp.get("/OperationDefinition/opposition-check")
def operation_definition():
    """What ``$opposition-check`` takes and gives, for FHIR tooling."""
    def param(name, use, minimum, maximum, kind, documentation, parts=None):
        definition = {"name": name, "use": use, "min": minimum, "max": maximum, "documentation": documentation}
        if kind:
            definition["type"] = kind
        if parts:
            definition["part"] = parts
        return definition

    return fhir_response({
        "resourceType": "OperationDefinition",
        "url": url_for("fhir.operation_definition", _external=True),
        "name": "OppositionCheck",
        "title": "Check identifiers against the registry of opposition",
        "status": "active",
        "kind": "operation",
        "code": "opposition-check",
        "system": True, "type": False, "instance": False,
        "affectsState": False,
        "parameter": [
            param("purpose", "in", 1, "1", "code", "The purpose: " + ", ".join(p.code for p in Purpose) + "."),
            param("permit", "in", 0, "1", "string", "The data permit the lookup serves (EHDS art. 68)."),
            param("identifier", "in", 1, "10000", "Identifier",
                  "A NIR (system urn:oid:1.2.250.1.213.1.4.8) or NIA (urn:oid:1.2.250.1.213.1.4.9)."),
            param("purpose", "out", 1, "1", "code", "The purpose checked."),
            param("checked_at", "out", 1, "1", "instant", "When the registry was read."),
            param("valid_until", "out", 1, "1", "instant", "Until when the answer may be relied on."),
            param("permit", "out", 0, "1", "string", "The permit named, when one was."),
            param("result", "out", 1, "10000", None, "One per identifier, in input order.", [
                param("identifier", "out", 1, "1", "Identifier", "The identifier as sent."),
                param("opposed", "out", 0, "1", "boolean", "Whether the person opposed the purpose."),
                param("exception", "out", 0, "1", "string", "The permit's public-interest exception, when it "
                      "lets the warehouse include this opposed person."),
                param("error", "out", 0, "1", "code", "Why the identifier is not valid (GET /api/v1/purposes)."),
            ]),
        ],
    })
