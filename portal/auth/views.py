"""Login and logout routes. They are the same in both languages; ``next`` brings the person
back to the page (and language) they came from."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import force_locale, gettext as _
from flask_login import login_user, logout_user

from registry.accounts import account_for_login
from registry.db import write_with_retry

from portal.auth import IDENTITY_KEY
from portal.auth.franceconnect import franceconnect, login_available
from portal.auth.oidc import LoginRefused, random_token
from portal.database import db
from portal.redirects import safe_next
from portal.sessions import end_session
from portal.security import limiter

bp = Blueprint("auth", __name__)

NEXT_KEY = "after_login"
LOGOUT_STATE_KEY = "logout_state"
ID_TOKEN_KEY = "id_token"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _english(path: str | None) -> bool:
    return bool(path) and (path == "/en" or path.startswith("/en/"))


def _flash(english: bool, category: str, message) -> None:
    """Flash ``message()`` in the language of the page the person goes back to."""
    with force_locale("en" if english else "fr"):
        flash(message(), category)


@bp.get("/connexion")
@limiter.limit(_login_limit)
def login():
    if not login_available():
        abort(503)
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    return franceconnect().authorize_redirect(url_for("auth.callback", _external=True))


@bp.get("/connexion/retour")
@limiter.limit(_login_limit)
def callback():
    if not login_available():
        abort(503)
    target = safe_next(session.pop(NEXT_KEY, None))
    home = url_for("en.home") if _english(target) else url_for("pages.home")
    try:
        identity, id_token = franceconnect().finish_login()
    except LoginRefused as refused:
        current_app.logger.info("login refused: %s", refused.code)
        english = _english(target)
        if refused.code == "access_denied":
            _flash(english, "info", lambda: _("Vous avez annulé la connexion."))
        else:
            _flash(english, "error", lambda: _("La connexion avec FranceConnect n'a pas abouti. Réessayez."))
        return redirect(home)
    # Two first logins of one person at once (two tabs, two processes) would both create the
    # account: the one that loses the race runs again and finds the other's.
    account = write_with_retry(db.session(), lambda s: account_for_login(s, identity.issuer, identity.subject))
    end_session(session)  # a new token: nothing from before the login, no fixation
    session[IDENTITY_KEY] = identity.session_claims()
    session[ID_TOKEN_KEY] = id_token
    from portal.auth import CitizenUser

    login_user(CitizenUser(account.id))
    return redirect(target or url_for("citizen_en.my_space" if _english(target) else "citizen.my_space"))


@bp.post("/deconnexion")
def logout():
    english = _english(safe_next(request.form.get("next")))
    id_token = session.get(ID_TOKEN_KEY)
    logout_user()
    end_session(session)  # the stored session is gone: a copied cookie opens nothing
    state = random_token()
    session[LOGOUT_STATE_KEY] = state
    session[NEXT_KEY] = "/en/" if english else "/"
    provider_logout = login_available() and franceconnect().logout_url(
        id_token, state, url_for("auth.logged_out", _external=True)
    )
    return redirect(provider_logout or url_for("auth.logged_out", state=state))


@bp.get("/deconnexion/retour")
def logged_out():
    expected = session.pop(LOGOUT_STATE_KEY, None)
    target = session.pop(NEXT_KEY, None) or "/"
    if expected and request.args.get("state") == expected:
        _flash(_english(target), "success", lambda: _("Vous êtes déconnecté."))
    return redirect(url_for("en.home") if _english(target) else url_for("pages.home"))
