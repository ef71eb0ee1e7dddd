"""CSRF on every form and the rate limits on login and filing."""

import pytest

from portal import create_app
from portal.database import db
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import login_with_client


@pytest.fixture
def app(database_url, oidc_provider):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY,
        "FRANCECONNECT_ISSUER": oidc_provider.url, "WTF_CSRF_ENABLED": True,
        "LOGIN_RATE_LIMIT": "3 per minute", "FILING_RATE_LIMIT": "2 per minute",
    })
    yield app
    db.dispose(app)


@pytest.mark.parametrize("path", ["/mon-espace/opposition", "/en/mon-espace/procuration", "/deconnexion"])
def test_a_form_posted_without_its_csrf_token_is_refused(client, path):
    login_with_client(client, "demo-marie-corse")
    response = client.post(path, data={"nir": "x", "scope": "all", "confirm": "y"})
    assert response.status_code == 400


def test_the_filing_form_carries_a_csrf_token(client):
    login_with_client(client, "demo-marie-corse")
    assert 'name="csrf_token"' in client.get("/mon-espace/opposition").get_data(as_text=True)


def test_login_is_rate_limited(client):
    statuses = [client.get("/connexion").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert "Trop de demandes" in client.get("/connexion").get_data(as_text=True)


def test_filing_is_rate_limited_but_reading_the_form_is_not(client):
    login_with_client(client, "demo-marie-corse")
    assert all(client.get("/mon-espace/opposition").status_code == 200 for _ in range(3))
    page = client.get("/mon-espace/opposition").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    statuses = [client.post("/mon-espace/opposition", data={"csrf_token": token, "nir": "1"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
