"""Per-warehouse quotas on the API's endpoints, checked straight through the ``limits`` library.

Flask-Limiter's decorator resolves and filters its limits on every call, which costs more than a
single-identifier lookup itself; the quota here is the same (``API_RATE_LIMIT``, a fixed window
by default, in ``RATELIMIT_STORAGE_URI``: memory or a shared store), keyed by client and
endpoint like Flask-Limiter's per-route limits, for a few microseconds. Over the quota: 429
``rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import functools
import math
import time

from flask import Flask, current_app, g, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES

from portal.api.problems import ApiProblem


class Quotas:
    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
                                      **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
        self.strategy = STRATEGIES[app.config.get("RATELIMIT_STRATEGY", "fixed-window")](storage)
        self._parsed: dict[str, list] = {}

    def limits(self, text: str) -> list:
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parsed[text] = parse_many(text)
        return parsed

    def check(self, text: str, key: str) -> None:
        """Count a call against every limit of ``text``; 429 when one is exhausted."""
        for limit in self.limits(text):
            if not self.strategy.hit(limit, "api", key):
                reset = self.strategy.get_window_stats(limit, "api", key).reset_time
                retry = max(1, math.ceil(reset - time.time()))
                raise ApiProblem(429, "rate_limited", headers={"Retry-After": str(retry)})


def init_app(app: Flask) -> None:
    app.extensions["api_quotas"] = Quotas(app)


def charge(limit_text: str) -> None:
    """Count this call against the current client's quota ``limit_text`` on this endpoint (429
    when it is used up)."""
    quotas: Quotas = current_app.extensions["api_quotas"]
    if quotas.enabled:
        quotas.check(limit_text, f"{request.endpoint}:{g.api_client.client_id}")


def quota(limit_text):
    """Decorator (under ``client_required``): the client's quota ``limit_text()`` on this endpoint."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            charge(limit_text())
            return view(*args, **kwargs)

        return wrapped

    return decorator
