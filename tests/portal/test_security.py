"""Security headers, cookies and the rate limiter, through the public HTTP interface."""

import pytest

from portal import create_app
from tests.conftest import production_config
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY


def test_every_page_carries_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("header, value", [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
])
def test_every_page_carries_the_hardening_headers(client, header, value):
    assert client.get("/en/").headers[header] == value


def test_production_sends_strict_transport_security_and_secure_session_cookies(database_url):
    app = create_app(production_config(DATABASE_URL=database_url))

    @app.get("/_set-session")
    def set_session():
        from flask import session

        session["probe"] = 1
        return "ok"

    response = app.test_client().get("/_set-session")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_design_system_analytics_module_is_never_served(client):
    assert client.get("/static/dsfr/analytics/analytics.module.min.js").status_code == 404
    with client.get("/static/dsfr/dsfr.min.css") as response:
        assert response.status_code == 200
