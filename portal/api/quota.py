"""Per-warehouse quotas on the API's endpoints, checked straight through the ``limits`` library.

Flask-Limiter's decorator resolves and filters its limits on every call, which costs more than a
single-identifier lookup itself; the quota here is the same (``API_RATE_LIMIT``, a fixed window
by default, in ``RATELIMIT_STORAGE_URI``: memory or a shared store), keyed by client and
endpoint like Flask-Limiter's per-route limits, for a few microseconds. Over the quota: 429
``rate_limited`` with ``Retry-After``.

In memory, fixed windows are counted by ``ProcessCounters``, a storage for ``limits`` that
forgets a window when it is next read after its end. The library's own ``memory://`` storage
starts a timer thread every 10 ms of traffic to expire its counters; in an API process serving
a thousand calls a second, those threads and the switches between them and the request thread
cost a fifth of a single lookup's time (``bench/api_throughput.py``, part (b)).
"""

from __future__ import annotations

import functools
import math
import threading
import time

from flask import Flask, current_app, g, request
from limits import parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import STRATEGIES

from portal.api.problems import ApiProblem


class ProcessCounters(Storage):
    """Fixed-window counters in this process's memory (``process://``), without a timer thread:
    a window's counter starts again at its first hit after the window ended."""

    STORAGE_SCHEME = ["process"]
    PRUNE_ABOVE = 10_000  # counters kept before the ended ones are dropped

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._windows: dict[str, list] = {}  # key -> [count, end of the window]
        self._lock = threading.Lock()

    @property
    def base_exceptions(self):
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                if len(self._windows) >= self.PRUNE_ABOVE:
                    self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
                window = self._windows[key] = [0, now + expiry]
            window[0] += amount
            return window[0]

    def get(self, key: str) -> int:
        window = self._windows.get(key)
        return window[0] if window is not None and window[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        window = self._windows.get(key)
        return window[1] if window is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            count, self._windows = len(self._windows), {}
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class Quotas:
    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        uri = app.config.get("RATELIMIT_STORAGE_URI", "memory://")
        strategy = app.config.get("RATELIMIT_STRATEGY", "fixed-window")
        if uri == "memory://" and strategy == "fixed-window":
            uri = "process://"
        storage = storage_from_string(uri, **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
        self.strategy = STRATEGIES[strategy](storage)
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
                self._refuse(limit, key)

    def _refuse(self, limit, key: str) -> None:
        reset = self.strategy.get_window_stats(limit, "api", key).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        raise ApiProblem(429, "rate_limited", headers={"Retry-After": str(retry)})


def init_app(app: Flask) -> None:
    app.extensions["api_quotas"] = Quotas(app)


def charge(limit_text: str, endpoint: str | None = None) -> None:
    """Count this call against the current client's quota ``limit_text`` on this endpoint, or on
    ``endpoint`` when another address shares its counter (429 when it is used up)."""
    quotas: Quotas = current_app.extensions["api_quotas"]
    if quotas.enabled:
        quotas.check(limit_text, f"{endpoint or request.endpoint}:{g.api_client.client_id}")


def quota(limit_text):
    """Decorator (under ``client_required``): the client's quota ``limit_text()`` on this endpoint."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            charge(limit_text())
            return view(*args, **kwargs)

        return wrapped

    return decorator
