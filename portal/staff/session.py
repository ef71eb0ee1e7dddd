"""Who is signed in to the back-office, for how long, and with which role.

The signed session cookie holds the account id and the time of the last request; the account
is read again on every request, so a disabled or locked account is out at once.
"""

from __future__ import annotations

import functools
import time

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from registry.staff import StaffAccount, get_account, record_logout

from portal.database import db

STAFF_KEY = "staff_id"
SEEN_KEY = "staff_seen"
PENDING_KEY = "staff_pending"


def sign_in(account: StaffAccount) -> None:
    """A fresh session for the account (nothing carried over from before the sign-in)."""
    session.clear()
    session[STAFF_KEY] = account.id
    session[SEEN_KEY] = int(time.time())


def sign_out() -> None:
    for key in (STAFF_KEY, SEEN_KEY, PENDING_KEY):
        session.pop(key, None)


def current_staff() -> StaffAccount | None:
    """The signed-in account for this request, or None; ends a session idle for too long."""
    if "staff" in g:
        return g.staff
    g.staff = None
    account_id = session.get(STAFF_KEY)
    if account_id is None:
        return None
    account = get_account(db.session(), account_id)
    if account is None or account.locked_at is not None:
        sign_out()
        return None
    idle = time.time() - session.get(SEEN_KEY, 0)
    if idle > current_app.config["STAFF_SESSION_TIMEOUT"]:
        record_logout(db.session(), account, "timeout")
        db.session().commit()
        sign_out()
        flash(_("Votre session a expiré. Reconnectez-vous."), "info")
        return None
    session[SEEN_KEY] = int(time.time())
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
