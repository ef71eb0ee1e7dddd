"""The API's synchronous endpoints: token, batch lookup, purposes, health, OpenAPI document."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from itertools import compress
from json.encoder import encode_basestring_ascii as _quote

import orjson
from flask import Response, current_app, jsonify, request
from sqlalchemy import text

from registry.freshness import stamp, valid_until
from registry.identifiers import REASONS
from registry.lookups import BatchAnswer, lookup_with_token
from registry.models import utcnow
from registry.permits import PermitRefused, valid_reference
from registry.purposes import Purpose, UnknownPurpose, purpose_from_code
from registry.warehouses import authenticate_token

from portal.api import RETRY_AFTER_SECONDS, answer_validity, bp
from portal.api.quota import charge
from portal.api.auth import admit, authorization_server, bearer_token, requested_client_id
from portal.api.records import lookup_recorder, records_gathered
from portal.api.openapi import openapi_document
from portal.api.problems import ApiProblem
from portal.database import db
from portal.keys import keyring
from portal.operations.metrics import count_lookup
from portal.security import client_key, limiter

MAX_BATCH = 10_000


def api_quota() -> str:
    return current_app.config["API_RATE_LIMIT"]


def token_rate_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


def token_client_key() -> str:
    """The client id a token request names, known or not, as the limiter counts it: hashed, since
    the caller chooses it (any length, any characters)."""
    client_id = requested_client_id() or ""
    return "token-client:" + hashlib.sha256(client_id.encode(errors="replace")).hexdigest()[:32]


@bp.post("/token")
@limiter.limit(token_rate_limit, key_func=client_key, scope="api-token-address")
@limiter.limit(token_rate_limit, key_func=token_client_key, scope="api-token-client")
def token():
    """OAuth2 client credentials: ``client_secret_basic`` or ``client_secret_post``.

    Each request costs an argon2 check, so before anything is checked it counts twice against
    ``TOKEN_RATE_LIMIT`` in the pages' limiter (``portal.security.limiter``, whose storage the
    app nodes share): once for the caller's address, once for the client id it names. Over
    either: 429 ``rate_limited`` with ``Retry-After``. Guessing one client's secret from many
    addresses, or many clients' from one, is held back alike."""
    return authorization_server().create_token_response()


def parse_purpose(value) -> Purpose:
    if not isinstance(value, str):
        raise ApiProblem(422, "invalid_request", "'purpose' must be a string.", pointer="/purpose")
    try:
        return purpose_from_code(value)
    except UnknownPurpose:
        raise ApiProblem(422, "unknown_purpose", "See GET /api/v1/purposes for the codes.",
                         pointer="/purpose") from None


def _body() -> bytes:
    """The request body. With a Content-Length within the app's limit (nearly every call), read
    straight from the WSGI input, as the WSGI standard allows: werkzeug's stream wrappers cost
    more than parsing a single lookup's JSON. Otherwise werkzeug reads it (and refuses an
    oversized body with 413)."""
    current = request._get_current_object()  # one look-up of the request, not one per attribute
    length = current.content_length
    if length is not None and length <= (current.max_content_length or length):
        return current.environ["wsgi.input"].read(length)
    return current.get_data()


LOOKUP_ENDPOINT = "api.lookup"  # whichever address a lookup comes through, its quota is the lookup's
PERMIT_STATUS = {"unknown_permit": 422, "permit_expired": 403, "permit_not_started": 403, "permit_not_held": 403,
                 "permit_purpose_not_covered": 403, "permit_exception_not_private": 403}


def parse_permit(value, pointer: str = "/permit") -> str | None:
    """The data permit a request names (None when it names none), or the problem it makes: a
    value that cannot be a permit reference is no permit the registry knows."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiProblem(422, "invalid_request", "'permit' must be a string.", pointer=pointer)
    if not valid_reference(value):
        raise permit_problem(PermitRefused("unknown_permit"), pointer)
    return value


def permit_problem(refused: PermitRefused, pointer: str = "/permit") -> ApiProblem:
    return ApiProblem(PERMIT_STATUS[refused.code], refused.code, str(refused), pointer=pointer)


def read_batch() -> tuple[Purpose, list[str]]:
    """The purpose and identifiers of a lookup request, or the problem that describes it."""
    purpose, identifiers, _ = read_lookup()
    return purpose, identifiers


def read_lookup() -> tuple[Purpose, list[str], str | None]:
    """The purpose, identifiers and optional data permit of a lookup request, or the problem
    that describes it."""
    if request.mimetype != "application/json":
        raise ApiProblem(415, "unsupported_media_type", "Send the batch as application/json.")
    try:
        body = orjson.loads(_body())
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "malformed_json") from None
    if not isinstance(body, dict):
        raise ApiProblem(422, "invalid_request", "The body must be a JSON object.", pointer="")
    identifiers = body.get("identifiers")
    if not isinstance(identifiers, list):
        raise ApiProblem(422, "invalid_request", "'identifiers' must be an array of strings.", pointer="/identifiers")
    if len(identifiers) > MAX_BATCH:
        raise ApiProblem(413, "too_many_identifiers", f"This batch has {len(identifiers)} identifiers; "
                         "split it, or send the cohort as a job.")
    if not identifiers:
        raise ApiProblem(422, "invalid_request", "'identifiers' must hold at least one identifier.",
                         pointer="/identifiers")
    if not all(map(str.__instancecheck__, identifiers)):  # one pass in C; the index only on failure
        index = next(i for i, value in enumerate(identifiers) if not isinstance(value, str))
        raise ApiProblem(422, "invalid_request", "Every identifier must be a string.",
                         pointer=f"/identifiers/{index}")
    purpose = parse_purpose(body.get("purpose"))
    return purpose, identifiers, parse_permit(body.get("permit"))


def checked_lookup(read) -> tuple[Purpose, dt.datetime, BatchAnswer]:
    """Run a lookup whose request ``read()`` parses into (purpose, identifiers, permit), with
    the lookup API's token, scope, quota and records; ``/api/v1/lookup`` and FHIR's
    ``$opposition-check`` both go through it.

    Authorised like the other calls (``client_required``, then the quota), but the token is
    checked together with the batch and the permit (``lookup_with_token``: one round trip for a
    small batch). A bad body or a refused permit is reported only to a client that may call: the
    token's problem comes first."""
    token = bearer_token()
    readers = db.readers()
    reader = readers.take()
    refused = None
    try:
        try:
            purpose, identifiers, permit = read()
        except ApiProblem:
            admit(authenticate_token(reader, token), "lookup")
            charge(api_quota(), LOOKUP_ENDPOINT)
            raise
        checked_at = utcnow()
        try:
            client, answer = lookup_with_token(reader, token, keyring(), identifiers, purpose, permit=permit,
                                               allow_test_identifiers=current_app.config["ALLOW_TEST_IDENTIFIERS"],
                                               today=checked_at.date())
        except PermitRefused as error:
            client, answer, refused = error.client, None, error
    finally:
        readers.give_back(reader)
    admit(client, "lookup")
    charge(api_quota(), LOOKUP_ENDPOINT)
    if refused is not None:
        raise permit_problem(refused)
    opposed = len(answer.opposed_digests)
    invalid = len(identifiers) - opposed - answer.opposed.count(False)
    count_lookup(len(identifiers), opposed)
    grant = answer.permit
    lookup_recorder().add(client_id=client.client_id, warehouse_id=client.warehouse_id, purpose=purpose,
                          identifiers=len(identifiers), invalid=invalid, opposed_digests=answer.opposed_digests,
                          moment=checked_at, permit_id=grant.id if grant else None,
                          exception=bool(grant and grant.exception))
    return purpose, checked_at, answer


@bp.post("/lookup")
def lookup():
    """Check up to 10,000 identifiers for one purpose, optionally under a data permit; answers
    in input order (``checked_lookup``)."""
    purpose, checked_at, answer = checked_lookup(read_lookup)
    response = Response(_results_json(purpose, checked_at, valid_until(checked_at, answer_validity()), answer),
                        mimetype="application/json")
    records_gathered(response)
    return response


def _results_json(purpose, checked_at, until, answer) -> str:
    """The response body, written directly: for 10,000 results this is several times faster than
    building one dict per result for ``json.dumps``, and gives the same JSON.

    The body alternates each identifier with what follows it up to the next identifier (the end
    of its result and the start of the next one), so that it is joined in one call. When no
    identifier of the batch needs escaping (the usual case), each is put between quotes as it is.
    """
    identifiers = answer.identifiers
    # what json.dumps writes for {"purpose": ..., "checked_at": ..., "valid_until": ...}, less its
    # closing brace: the code and the two instants are plain ASCII, which it leaves as they are
    head = f'{_PURPOSE_HEADS[purpose]}{stamp(checked_at)}", "valid_until": "{stamp(until)}"'
    grant = answer.permit
    if grant is not None:
        head += ', "permit": ' + json.dumps(grant.reference)
    if not identifiers:
        return head + ',"results":[]}'
    if _NEEDS_ESCAPE("".join(identifiers)) is None:
        values, quote = identifiers, '"'
    else:
        values, quote = list(map(_quote, identifiers)), ""  # _quote adds the quotes
    after = list(map((_AFTER if grant is None or grant.exception is None else _excepted(grant.exception))[quote]
                     .__getitem__, answer.opposed))
    errors = answer.errors
    for index in compress(range(len(errors)), errors):
        after[index] = f'{quote},"error":"{errors[index]}"}},{_NEXT}{quote}'
    after[-1] = after[-1][: -len(_NEXT + quote) - 1]  # the last result closes the array
    parts = [""] * (2 * len(values))
    parts[0::2] = values
    parts[1::2] = after
    return head + ',"results":[' + _NEXT + quote + "".join(parts) + "]}"


_PURPOSE_HEADS = {purpose: json.dumps({"purpose": purpose.code, "checked_at": ""})[:-2] for purpose in Purpose}


_NEXT = '{"identifier":'
# what follows an answered identifier, with and without the quotes around identifiers
_AFTER = {quote: {True: f'{quote},"opposed":true}},{_NEXT}{quote}', False: f'{quote},"opposed":false}},{_NEXT}{quote}',
                  None: None}
          for quote in ('"', "")}




def _excepted(reference: str) -> dict:
    """``_AFTER`` under a permit's exception: an opposed person is answered with its reference."""
    exception = ',"exception":' + json.dumps(reference)
    return {quote: {True: f'{quote},"opposed":true{exception}}},{_NEXT}{quote}',
                    False: f'{quote},"opposed":false}},{_NEXT}{quote}', None: None}
            for quote in ('"', "")}


# anything but printable ASCII, the quote and the backslash: what ``_quote`` would escape
_NEEDS_ESCAPE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]').search


@bp.get("/purposes")
def purposes():
    """The purposes a lookup can name, and the reason codes an identifier can get."""
    return jsonify({
        "purposes": [{"code": p.code, "label": p.label} for p in Purpose],
        "identifier_errors": [{"code": code, "message": message} for code, message in REASONS.items()],
    })


@bp.get("/health")
def health():
    """Up when the database answers; 503 otherwise (load balancers and the client read this)."""
    try:
        db.session().execute(text("SELECT 1"))
    except Exception as error:
        current_app.logger.error("health check: database unreachable (%s)", type(error).__name__)
        raise ApiProblem(503, "service_unavailable", "The database does not answer.",
                         headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    return jsonify({"status": "ok", "database": "ok"})


@bp.get("/openapi.json")
def openapi():
    from portal.api.openapi_fhir import add_fhir
    from portal.api.openapi_log import add_transparency_log
    from portal.api.openapi_private import add_private_lookup

    return jsonify(add_fhir(add_transparency_log(add_private_lookup(openapi_document()))))


def noop():
    """Does nothing: the reference point of the request-overhead benchmark."""
    return jsonify({"status": "ok"})
