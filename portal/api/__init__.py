"""The lookup API for warehouses, under ``/api/v1``: OAuth2 client credentials, batch lookups,
cohort jobs, purposes, health and the OpenAPI document. Every error is a problem response
(RFC 9457); no input makes it answer 500.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from registry.db import unavailable
from registry.freshness import DEFAULT_VALIDITY_DAYS, validity

from portal.api.problems import ApiProblem, from_http_exception, problem_response

RETRY_AFTER_SECONDS = 30

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem):
    return problem_response(error.status, error.code, error.detail, error.headers, **error.extra)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return from_http_exception(error)


# Code-specific handlers too: Flask prefers an app-level handler registered for a status code
# (the HTML error pages) over a blueprint's HTTPException handler, and API clients need JSON.
for _status in (400, 401, 403, 404, 405, 413, 415, 422, 429, 500, 503):
    bp.register_error_handler(_status, _http_error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    return unexpected_problem(error)


def unexpected_problem(error: BaseException):
    """503 with ``Retry-After`` when the database cannot answer (whichever layer raised it),
    500 otherwise; the error's type is logged, never its message (it may quote a request)."""
    if unavailable(error):
        current_app.logger.error("database unavailable on API %s %s: %s", request.method, request.url_rule,
                                 type(error).__name__)
        return problem_response(503, "service_unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    current_app.logger.error("API error on %s %s: %s", request.method, request.url_rule, type(error).__name__)
    return problem_response(500, "internal_error")


def api_path() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


@bp.before_request
def _no_automatic_options():
    """OPTIONS is not a method of the API (no cross-origin callers): 405 with ``Allow``, as for
    any other method a route does not take."""
    if request.method == "OPTIONS" and request.url_rule is not None:
        return from_http_exception(MethodNotAllowed(valid_methods=request.url_rule.methods))
    return None


# Flask-Limiter's app-wide hooks (before a request, after it, at its teardown), which the API's
# calls skip (``pages_only``); fewer found means a new Flask-Limiter moved them.
LIMITER_HOOKS = 3


def init_app(app: Flask) -> None:
    app.config.setdefault("API_RATE_LIMIT", "1200 per minute")
    app.config.setdefault("API_TOKEN_LIFETIME", 900)
    app.config.setdefault("TOKEN_RATE_LIMIT", "30 per minute")  # token requests per address and per client id
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("JOBS_RETENTION_DAYS", 7)
    app.config.setdefault("JOBS_MAX_BYTES", 4 * 1024**3)
    app.config.setdefault("JOBS_PROCESSES", min(4, os.cpu_count() or 1))  # processes checking one job
    app.config.setdefault("JOBS_LEASE_SECONDS", 120)  # a job with no heartbeat for this long is taken over
    # the lookups' membership index, one snapshot file shared by this machine's processes ("": each its own)
    app.config.setdefault("MEMBERSHIP_DIR", os.path.join(app.instance_path, "membership"))
    # How long an answer may be relied on (``registry.freshness``); also the board's "stale" flag.
    app.config.setdefault("ANSWER_VALIDITY_DAYS", DEFAULT_VALIDITY_DAYS)
    validity(app.config["ANSWER_VALIDITY_DAYS"])  # a wrong setting stops the start, not a lookup

    from portal.api import auth, jobs, pages_only, private, queue, quota, records, transparency_log, views  # noqa: F401  (the views register on ``bp``)
    from portal.extensions import csrf

    if pages_only.skip_on_api_calls(app) != LIMITER_HOOKS:
        app.logger.warning("the pages' rate limiter hooks were not all found: API calls run them too")
    auth.init_app(app)
    records.init_app(app)
    quota.init_app(app)
    queue.init_app(app)
    csrf.exempt(bp)
    app.register_blueprint(bp)
    if app.config.get("API_NOOP_ENDPOINT"):
        app.add_url_rule(PREFIX + "/noop", "api_noop", views.noop)


def warm_up(app: Flask) -> None:
    """Load the lookups' membership index before the process takes traffic (gunicorn's
    ``post_worker_init``), mapped from the machine's snapshot file in ``MEMBERSHIP_DIR``;
    otherwise the first lookup loads it. A failure only delays that."""
    from portal.database import db
    from registry.membership import membership_index, share_in

    share_in(app.config.get("MEMBERSHIP_DIR"))
    with app.app_context():
        try:
            membership_index(db.engine(app)).preload()
        except Exception as error:
            app.logger.warning("membership index not preloaded: %s", type(error).__name__)


def answer_validity():
    """How long the answers of this registry may be relied on (``registry.freshness``)."""
    return validity(current_app.config["ANSWER_VALIDITY_DAYS"])
