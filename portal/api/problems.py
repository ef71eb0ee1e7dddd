"""RFC 9457 problem details: every API error is ``application/problem+json`` with a stable code.

``type`` is a URN built from the code, ``code`` repeats it for clients that switch on a string,
``title`` is fixed per code and ``detail`` explains this occurrence. No detail ever quotes an
identifier that was sent.
"""

from __future__ import annotations

import json
import math
import time

from flask import Response
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "urn:registre-opposition:problem:"

TITLES = {
    "malformed_json": "The body is not valid JSON.",
    "invalid_request": "The request does not have the expected shape.",
    "unknown_purpose": "The purpose is not one of the registry's purposes.",
    "too_many_identifiers": "A batch holds at most 10,000 identifiers.",
    "body_too_large": "The request body is too large.",
    "unsupported_media_type": "The request body has an unsupported content type.",
    "missing_token": "An access token is required.",
    "invalid_token": "The access token is unknown, expired or revoked.",
    "insufficient_scope": "The access token does not grant this scope.",
    "rate_limited": "Too many requests: wait before trying again.",
    "too_many_elements": "A batch holds at most 10,000 blinded elements.",
    "invalid_element": "A blinded element is not a valid ristretto255 element.",
    "no_private_allowance": "No cohort size is declared for this warehouse's private lookups.",
    "private_quota_exceeded": "The private-lookup allowance is used up.",
    "not_found": "Nothing is found at this address.",
    "job_not_found": "No job with this id belongs to this client.",
    "job_not_ready": "The job has not finished yet.",
    "job_expired": "The job's files were deleted at the end of its retention period.",
    "method_not_allowed": "This method is not allowed here.",
    "service_unavailable": "The service cannot answer now.",
    "internal_error": "The registry could not answer; the error was logged.",
    "bad_request": "The request cannot be understood.",
    "invalid_client": "The client is unknown, disabled, or its secret is wrong.",
    "invalid_request_oauth": "The token request is malformed.",
    "invalid_scope": "A requested scope is unknown or not granted to this client.",
    "unauthorized_client": "This client may not use this grant type.",
    "unsupported_grant_type": "Only the client_credentials grant is supported.",
    "beyond_tree": "The transparency log does not hold that many entries yet.",
    "unknown_permit": "No data permit has this reference.",
    "permit_expired": "The data permit has ended.",
    "permit_not_started": "The data permit has not started yet.",
    "permit_not_held": "The data permit is not held by this warehouse.",
    "permit_purpose_not_covered": "The data permit does not cover this purpose.",
    "permit_exception_not_private": "A data permit with an exception cannot be used in private mode.",
}


class ApiProblem(Exception):
    """Raised by API views; the blueprint's handler turns it into a problem response."""

    def __init__(self, status: int, code: str, detail: str | None = None, headers: dict | None = None, **extra):
        super().__init__(code)
        self.status, self.code, self.detail, self.headers, self.extra = status, code, detail, headers or {}, extra


def problem_response(status: int, code: str, detail: str | None = None, headers: dict | None = None, **extra) -> Response:
    body = {"type": PROBLEM_TYPE + code, "title": TITLES.get(code, code), "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        if name.lower() != "content-type":  # authlib's error headers carry their own JSON type
            response.headers[name] = value
    return response


_HTTP_CODES = {
    400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
    415: "unsupported_media_type", 429: "rate_limited", 503: "service_unavailable",
}


def from_http_exception(error: HTTPException) -> Response:
    """The problem response for a werkzeug error raised while serving an API request."""
    status = error.code or 500
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = allow_header(error.valid_methods)
    if status == 429:
        headers["Retry-After"] = str(_retry_after(error))
    return problem_response(status, _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error"),
                            headers=headers)


def allow_header(methods) -> str:
    """``Allow`` for a route taking ``methods``: all of them (HEAD with GET) but OPTIONS, which
    the API does not offer (``portal.api`` answers it 405 too)."""
    return ", ".join(sorted(set(methods) - {"OPTIONS"}))


def _retry_after(error: HTTPException) -> int:
    """Seconds until the breached limit's window ends: the limiter's own count of this request
    (Flask-Limiter keeps it on the request), else the limit's whole window, else a minute."""
    from portal.security import limiter

    try:
        breached = limiter.current_limit
        if breached is not None and breached.breached:
            return max(1, math.ceil(breached.window.reset_time - time.time()))
        limit = getattr(error, "limit", None)
        return max(1, int(limit.limit.get_expiry())) if limit is not None else 60
    except Exception:  # an unknown limiter shape or an unreachable storage: a safe default rather than a 500
        return 60
