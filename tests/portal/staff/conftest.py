"""Helpers for the back-office tests: accounts made through the CLI, sign-in through the pages."""

from __future__ import annotations

import pyotp
import pytest

from portal.database import db
from registry.staff import find_account

PASSWORD = "un mot de passe assez long"
# Every refusal of the password step, whatever its cause, in these words.
REFUSED = "Connexion refusée : l&#39;adresse électronique ou le mot de passe est incorrect"


def totp_now(app, email: str) -> str:
    with app.app_context():
        return pyotp.TOTP(find_account(db.session(), email).totp_secret).now()


@pytest.fixture
def make_staff(app, runner):
    def make(role: str, email: str | None = None) -> str:
        email = email or f"{role}@sante.gouv.fr"
        result = runner.invoke(args=["staff", "create", email, "--role", role], input=f"{PASSWORD}\n{PASSWORD}\n")
        assert result.exit_code == 0, result.output
        return email
    return make


@pytest.fixture
def sign_in(app, client):
    def sign_in(email: str, password: str = PASSWORD):
        response = client.post("/staff/connexion", data={"email": email, "password": password})
        assert response.status_code == 302 and response.location.endswith("/staff/connexion/code")
        response = client.post("/staff/connexion/code", data={"code": totp_now(app, email)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response
    return sign_in


@pytest.fixture
def agent(make_staff, sign_in):
    email = make_staff("agent")
    sign_in(email)
    return email


@pytest.fixture
def admin(make_staff, sign_in):
    email = make_staff("registry_admin")
    sign_in(email)
    return email
