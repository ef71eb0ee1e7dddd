"""The rate limit on staff sign-in, on top of the per-account delays and lock.

The per-account counter stops guessing against one account; this limit, keyed by the client
address in memory only (never stored), stops one client from trying many accounts.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])


def login_limit() -> str:
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]


def init_app(app: Flask) -> None:
    limiter.init_app(app)
