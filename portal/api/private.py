"""The private lookup API (RFC 9497 VOPRF): the registry evaluates blinded elements and publishes
the filter of opposed outputs; it never sees a warehouse's cohort.

``/private/key`` is public. ``/private/evaluate``, ``/private/filter`` and
``/private/acknowledgements`` need a token with the ``private-lookup`` scope; evaluations are
charged against the warehouse's allowance (``registry.private_quota``) and audited with counts.
"""

from __future__ import annotations

import base64
import binascii
import json

from flask import Response, jsonify, request

from registry.opposition_filter import PREFIX_SIZE, build_filter, filter_delta
from registry.oprf import InvalidElement
from registry.private_quota import NoAllowance, QuotaExceeded, acknowledge, charge_evaluations
from registry.db import unit_of_work
from registry.errors import RegistryError
from registry.freshness import stamp, valid_until
from registry.models import utcnow
from registry.audit import record_event, warehouse_actor
from registry.permits import PermitRefused, permit_grant

from portal.api import answer_validity, bp
from portal.api.auth import client_required, current_client
from portal.api.problems import ApiProblem
from portal.api.quota import quota
from portal.api.views import api_quota, parse_permit, parse_purpose, permit_problem
from portal.database import db
from portal.keys import keyring

SCOPE = "private-lookup"
MAX_ELEMENTS = 10_000
MAX_DELTA = 50_000  # past this many changes a client is better served by the full filter


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _json_body() -> dict:
    if request.mimetype != "application/json":
        raise ApiProblem(415, "unsupported_media_type", "Send application/json.")
    try:
        body = json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "malformed_json") from None
    if not isinstance(body, dict):
        raise ApiProblem(422, "invalid_request", "The body must be a JSON object.", pointer="")
    return body


@bp.get("/private/key")
def private_key():
    """The registry's OPRF public key, which clients use to verify every proof."""
    oprf = keyring().oprf
    return jsonify({"key_id": oprf.key_id, "public_key": _b64(oprf.public_key),
                    "suite": "ristretto255-SHA512", "mode": "VOPRF"})


def _read_elements(body: dict) -> list[bytes]:
    elements = body.get("blinded_elements")
    if not isinstance(elements, list) or not elements:
        raise ApiProblem(422, "invalid_request", "'blinded_elements' must be a non-empty array of base64 strings.",
                         pointer="/blinded_elements")
    if len(elements) > MAX_ELEMENTS:
        raise ApiProblem(413, "too_many_elements", f"A batch holds at most {MAX_ELEMENTS} elements.")
    decoded = []
    for index, element in enumerate(elements):
        try:
            if type(element) is not str:
                raise ValueError
            decoded.append(base64.b64decode(element, validate=True))
        except (ValueError, binascii.Error):
            raise ApiProblem(422, "invalid_element", "Each element is the base64 of 32 bytes.",
                             pointer=f"/blinded_elements/{index}") from None
    return decoded


@bp.post("/private/evaluate")
@client_required(SCOPE)
@quota(api_quota)
def private_evaluate():
    """Evaluate up to 10,000 blinded elements under the OPRF key, with one batched DLEQ proof.

    ``permit`` names the data permit the run serves: recorded with the counts (the registry
    cannot see who is opposed in this mode). A permit with an exception is refused here: its
    opposed people could not be told apart, let alone recorded."""
    body = _json_body()
    purpose = parse_purpose(body.get("purpose"))
    permit = parse_permit(body.get("permit"))
    elements = _read_elements(body)
    session = db.session()
    grant = None
    if permit is not None:
        try:
            grant = permit_grant(session, permit, current_client().warehouse_id, purpose)
            if grant.exception is not None:
                raise PermitRefused("permit_exception_not_private")
        except PermitRefused as refused:
            raise permit_problem(refused) from None
    try:
        evaluated, proof = keyring().oprf.evaluate_blinded(elements)
    except InvalidElement as error:
        raise ApiProblem(422, "invalid_element", "This element is not a valid ristretto255 encoding.",
                         pointer=f"/blinded_elements/{error.index}") from None
    try:
        with unit_of_work(session):
            charge_evaluations(session, current_client().warehouse_id, len(elements), purpose=purpose.code)
            if grant is not None:
                record_event(session, action="private.evaluated_under_permit",
                             actor=warehouse_actor(current_client().client_id), target=grant.reference,
                             details={"elements": len(elements), "purpose": purpose.code, "permit_id": grant.id})
    except NoAllowance:
        raise ApiProblem(403, "no_private_allowance",
                         "Declare the cohort size with the registry before using the private lookup.") from None
    except QuotaExceeded as error:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        raise ApiProblem(429, "private_quota_exceeded", f"The {error.scope} allowance is used up.",
                         headers=headers) from None
    return jsonify({"key_id": keyring().oprf.key_id, "evaluated_elements": [_b64(e) for e in evaluated],
                    "proof": _b64(proof)})


def _fresh(response: Response, freshness: dict) -> Response:
    """The freshness of a filter also in headers, so that "unchanged" (304) renews it too."""
    response.headers["Registre-Checked-At"] = freshness["checked_at"]
    response.headers["Registre-Valid-Until"] = freshness["valid_until"]
    return response


@bp.get("/private/filter")
@client_required(SCOPE)
@quota(api_quota)
def private_filter():
    """The filter of opposed outputs for a purpose: full, or as a delta since a version."""
    purpose = parse_purpose(request.args.get("purpose"))
    since_text = request.args.get("since")
    session = db.session()
    oprf = keyring().oprf
    checked_at = utcnow()
    freshness = {"checked_at": stamp(checked_at), "valid_until": stamp(valid_until(checked_at, answer_validity()))}
    if since_text is not None:
        if not since_text.isascii() or not since_text.isdigit() or len(since_text) > 12:
            raise ApiProblem(422, "invalid_request", "'since' is a filter version (a whole number).",
                             pointer="/since")
        delta = filter_delta(session, purpose, oprf.key_id, int(since_text))
        if int(since_text) <= delta.version and len(delta.added) + len(delta.removed) <= MAX_DELTA:
            return _fresh(jsonify({"purpose": purpose.code, "key_id": oprf.key_id, "since": delta.since,
                                   "version": delta.version, "prefix_size": PREFIX_SIZE, **freshness,
                                   "added": [_b64(p) for p in delta.added],
                                   "removed": [_b64(p) for p in delta.removed]}), freshness)
    published = build_filter(session, purpose, oprf.key_id)
    if request.if_none_match and published.etag.strip('"') in request.if_none_match:
        response = Response(status=304)
    else:
        response = jsonify({"purpose": purpose.code, "key_id": oprf.key_id, "version": published.version,
                            "prefix_size": PREFIX_SIZE, "count": published.count, **freshness,
                            "prefixes": _b64(published.prefixes)})
    _fresh(response, freshness)
    response.headers["ETag"] = published.etag
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _count(body: dict, name: str) -> int:
    value = body.get(name)
    if type(value) is float and value.is_integer():  # JSON's 12.0 is the integer 12
        value = int(value)
    if type(value) is not int or not 0 <= value <= 100_000_000:
        raise ApiProblem(422, "invalid_request", f"'{name}' must be a whole number from 0 to 100,000,000.",
                         pointer=f"/{name}")
    return value


@bp.post("/private/acknowledgements")
@client_required(SCOPE)
@quota(api_quota)
def private_acknowledgement():
    """Counts only, sent back after a private run: shown on the warehouse compliance board."""
    body = _json_body()
    purpose = parse_purpose(body.get("purpose"))
    counts = {name: _count(body, name) for name in ("cohort_size", "opposed_count", "filter_version")}
    try:
        with unit_of_work(db.session()) as session:
            acknowledge(session, current_client().warehouse_id, purpose=purpose.code, **counts)
    except RegistryError as error:
        raise ApiProblem(422, "invalid_request", str(error)) from None
    return jsonify({"status": "received"}), 201
