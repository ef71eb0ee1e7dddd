"""The staff back-office: sign-in with a password and TOTP, assisted filing, audit, warehouses.

Staff sessions are kept apart from citizen sessions (their own keys in the server-side session,
``portal.sessions``), end after ``STAFF_SESSION_TIMEOUT`` seconds without activity and
``STAFF_SESSION_MAX_AGE`` seconds after sign-in, a lock ends by itself after
``STAFF_LOCK_DURATION`` seconds, and every page checks the role it needs (``staff_required``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("staff", __name__, url_prefix="/staff")

DEFAULTS = {
    "STAFF_SESSION_TIMEOUT": 15 * 60,
    "STAFF_SESSION_MAX_AGE": 8 * 3600,
    "STAFF_LOCK_DURATION": 3600,
    "STAFF_FREE_ATTEMPTS": 3,
    "STAFF_BASE_DELAY": 2.0,
    "STAFF_LOCK_AFTER": 10,
    "STAFF_LOGIN_RATE_LIMIT": "20 per minute",
    "STAFF_TOTP_ISSUER": "Registre national d'opposition",
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    from portal.staff import audit_views, auth, cli, filing, home, inbox, warehouse_board  # noqa: F401

    app.register_blueprint(bp)
    cli.init_app(app)
