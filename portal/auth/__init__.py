"""Citizen authentication: FranceConnect login and Flask-Login sessions.

The session (kept on the server, sealed with a key only the browser's cookie carries:
``portal.sessions``) holds the account id (Flask-Login), the identity claims used to check
numbers (until logout) and the ID token for the logout hint. The accounts table holds (issuer,
sub) only.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import select

from registry.accounts import Account
from registry.identity_proof import IdentityClaims

from portal.database import db

login_manager = LoginManager()
IDENTITY_KEY = "identity"


@dataclass(frozen=True)
class CitizenUser(UserMixin):
    """The logged-in account, as Flask-Login sees it."""

    account_id: int

    def get_id(self) -> str:
        return str(self.account_id)


@dataclass(frozen=True)
class SessionIdentity:
    given_name: str
    family_name: str
    gender: str
    birthdate: str
    birthplace: str = ""
    birthcountry: str = ""

    def claims(self) -> IdentityClaims:
        """The traits a number is checked against (``registry.identity_proof``)."""
        return IdentityClaims(self.gender, self.birthdate, self.birthplace, self.birthcountry)


def current_identity() -> SessionIdentity | None:
    """The identity the provider vouched for at this session's login."""
    claims = session.get(IDENTITY_KEY)
    return SessionIdentity(**claims) if claims else None


def current_account_id() -> int:
    return current_user.account_id


@login_manager.user_loader
def load_user(user_id: str) -> CitizenUser | None:
    if not user_id.isdigit() or IDENTITY_KEY not in session:
        return None
    found = db.session().scalar(select(Account.id).where(Account.id == int(user_id)))
    return None if found is None else CitizenUser(found)


@login_manager.unauthorized_handler
def ask_to_log_in():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    from portal.auth import franceconnect, views

    franceconnect.init_app(app)
    login_manager.init_app(app)
    # The session lives on the server and gets a new token at every sign-in and logout
    # (``portal.sessions``); Flask-Login's own protection would only write a "_fresh" mark into
    # every session that holds anything, an anonymous visitor's flashed message included.
    login_manager.session_protection = None
    app.register_blueprint(views.bp)
    app.context_processor(lambda: {"current_identity": current_identity()})
