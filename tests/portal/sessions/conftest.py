"""The portal served over real HTTP (werkzeug in a thread, CSRF on) with the development
identity provider, and helpers that sign in as a citizen or as staff with ``requests``."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin

import pyotp
import pytest
import requests

from portal.database import db
from registry.staff import find_account
from tests.e2e.conftest import LiveServer, live_config
from tests.oidc_provider import oidc_provider  # noqa: F401  (a shared fixture)

PASSWORD = "un mot de passe assez long"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def portal_config(database_url, oidc_provider):
    return live_config(database_url, FRANCECONNECT_ISSUER=oidc_provider.url, LOGIN_RATE_LIMIT="1000 per minute",
                       STAFF_LOGIN_RATE_LIMIT="1000 per minute")


@pytest.fixture
def portal(portal_config):
    from portal import create_app

    app = create_app(portal_config)
    with LiveServer(app) as server:
        yield server
    db.dispose(app)


def csrf_of(page: str) -> str:
    return CSRF.search(page).group(1)


def citizen_login(http: requests.Session, portal, sub: str, next_path: str = "/mon-espace") -> requests.Response:
    """Log in through the real provider: authorization request, consent, callback."""
    start = http.get(portal.url + "/connexion", params={"next": next_path}, allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.status_code
    consent = requests.post(start.headers["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.status_code
    return http.get(urljoin(portal.url, consent.headers["Location"]), allow_redirects=False, timeout=10)


def make_staff(portal, email: str, role: str = "agent") -> str:
    runner = portal.app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", email, "--role", role], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    return email


def post_password(http: requests.Session, portal, email: str, password: str = PASSWORD, next_path: str | None = None):
    page = http.get(portal.url + "/staff/connexion", timeout=10).text
    params = {"next": next_path} if next_path is not None else None
    return http.post(portal.url + "/staff/connexion", params=params, allow_redirects=False, timeout=30,
                     data={"email": email, "password": password, "csrf_token": csrf_of(page)})


def staff_login(http: requests.Session, portal, email: str, next_path: str | None = None) -> requests.Response:
    assert post_password(http, portal, email, next_path=next_path).status_code == 302
    page = http.get(portal.url + "/staff/connexion/code", timeout=10).text
    with portal.app.app_context():
        account = find_account(db.session(), email)
        totp, step = pyotp.TOTP(account.totp_secret), int(time.time()) // 30
        if account.last_totp_step is not None and account.last_totp_step >= step:
            step += 1  # signed in already in this 30-second step: the next step's code (clock drift) is new
        code = totp.at(step * 30)
    answer = http.post(portal.url + "/staff/connexion/code", allow_redirects=False, timeout=10,
                       data={"code": code, "csrf_token": csrf_of(page)})
    assert answer.status_code == 302, answer.text
    return answer


def copy_of(http: requests.Session) -> requests.Session:
    """Another browser holding the same cookies (an attacker who copied them)."""
    thief = requests.Session()
    thief.cookies.update(http.cookies)
    return thief
