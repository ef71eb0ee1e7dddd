"""The rate limit on staff sign-in, on top of the per-account delays and lock.

The per-account counter stops guessing against one account; this limit, applied by the
portal's limiter (keyed by the client address, in memory or in ``RATELIMIT_STORAGE_URI``,
never stored in the database), stops one client from trying many accounts.
"""

from __future__ import annotations

from flask import current_app

from portal.security import limiter

__all__ = ["limiter", "login_limit"]


def login_limit() -> str:
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]
