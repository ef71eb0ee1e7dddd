"""The operations surface of an app node: Prometheus metrics (``/metrics``), liveness and
readiness probes (``/livez``, ``/readyz``) and JSON log lines.

Settings: ``METRICS_ENABLED`` (default true), ``LOG_FORMAT`` (``"text"``, the default, or
``"json"``), and the environment variable ``PROMETHEUS_MULTIPROC_DIR`` for gunicorn's worker
processes (``portal.operations.metrics``).

These endpoints are for machines: not in the site map, exempt from CSRF and from the rate
limits, and they never see the browser's cookies, so that no session is read or saved (the
session store is not touched, no cookie is set).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from portal.config import ConfigurationError
from portal.operations import json_logs, metrics, probes

PATHS = frozenset({"/metrics", "/livez", "/readyz"})
LOG_FORMATS = ("text", "json")

bp = Blueprint("operations", __name__)
bp.add_url_rule("/metrics", "metrics", metrics.metrics_view, methods=["GET"])
bp.add_url_rule("/livez", "livez", probes.livez, methods=["GET"])
bp.add_url_rule("/readyz", "readyz", probes.readyz, methods=["GET"])


class WithoutCookies:
    """WSGI middleware: requests to the operations endpoints reach the app with no cookie."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in PATHS:
            environ.pop("HTTP_COOKIE", None)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    from portal.extensions import csrf
    from portal.security import limiter

    app.config.setdefault("METRICS_ENABLED", True)
    app.config.setdefault("LOG_FORMAT", "text")
    if app.config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigurationError(f"REGISTRE_LOG_FORMAT is {app.config['LOG_FORMAT']!r}; it must be text or json")
    json_logs.init_app(app)
    metrics.init_app(app)
    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)
    app.wsgi_app = WithoutCookies(app.wsgi_app)
