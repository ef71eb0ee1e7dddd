"""Who is signed in to the back-office, for how long, and with which role.

The server-side session (``portal.sessions``) holds the account id, the account's session
generation at sign-in, the time of the sign-in and of the last request. The account is read
again on every request: a disabled or locked account is out at once, and so is every session
signed in before a password or TOTP reset or an unlock (the generation moved on). A session
ends after ``STAFF_SESSION_TIMEOUT`` seconds idle and ``STAFF_SESSION_MAX_AGE`` after sign-in.
"""

from __future__ import annotations

import functools
import time

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from registry.db import unit_of_work
from registry.staff import StaffAccount, get_account, record_logout

from portal.database import db
from portal.sessions import end_session

STAFF_KEY = "staff_id"
SEEN_KEY = "staff_seen"
SINCE_KEY = "staff_since"
GENERATION_KEY = "staff_generation"
PENDING_KEY = "staff_pending"
SEEN_RESOLUTION = 30  # seconds: the last-request time is rewritten at most this often


def sign_in(account: StaffAccount) -> None:
    """A fresh session for the account, under a new token (nothing carried over from before)."""
    end_session(session)
    now = int(time.time())
    session[STAFF_KEY] = account.id
    session[GENERATION_KEY] = account.session_generation
    session[SINCE_KEY] = now
    session[SEEN_KEY] = now


def sign_out() -> None:
    """End the session on the server: the cookie, even copied, opens nothing any more."""
    end_session(session)


def current_staff() -> StaffAccount | None:
    """The signed-in account for this request, or None; ends a session idle for too long."""
    if "staff" in g:
        return g.staff
    g.staff = None
    account_id = session.get(STAFF_KEY)
    if account_id is None:
        return None
    account = get_account(db.session(), account_id)
    if (account is None or account.locked_at is not None
            or session.get(GENERATION_KEY) != account.session_generation):
        sign_out()
        return None
    now = time.time()
    config = current_app.config
    if (now - session.get(SEEN_KEY, 0) > config["STAFF_SESSION_TIMEOUT"]
            or now - session.get(SINCE_KEY, 0) > config["STAFF_SESSION_MAX_AGE"]):
        with unit_of_work(db.session()) as database:
            record_logout(database, account, "timeout")
        sign_out()
        flash(_("Votre session a expiré. Reconnectez-vous."), "info")
        return None
    if now - session.get(SEEN_KEY, 0) >= SEEN_RESOLUTION:
        session[SEEN_KEY] = int(now)
    g.staff = account
    return account


def staff_required(*roles: str):
    """Sign-in required (redirect to the sign-in page); 403 when the role is not one of ``roles``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            account = current_staff()
            if account is None:
                return redirect(url_for("staff.login", next=request.path))
            if roles and account.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
