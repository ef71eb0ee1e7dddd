"""FranceConnect login against the real development provider, without a browser."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal import create_app
from portal.database import db
from registry.accounts import Account
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import login_with_client


@pytest.fixture
def app(database_url, oidc_provider):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY,
        "WTF_CSRF_ENABLED": False, "FRANCECONNECT_ISSUER": oidc_provider.url,
    })
    yield app
    db.dispose(app)


def test_the_authorization_request_carries_state_nonce_pkce_acr_and_scopes(client, oidc_provider):
    location = client.get("/connexion").headers["Location"]
    assert location.startswith(oidc_provider.url + "/oauth2/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["acr_values"] == "eidas1"
    assert set("openid given_name family_name birthdate gender birthplace birthcountry".split()) <= set(query["scope"].split())
    assert query["redirect_uri"] == "http://localhost/connexion/retour"


def test_login_creates_an_account_holding_only_issuer_and_sub(app, client, oidc_provider):
    response = login_with_client(client, "demo-marie-corse")
    assert response.status_code == 302 and response.headers["Location"] == "/mon-espace"
    assert "Bonjour Marie" in client.get("/mon-espace").get_data(as_text=True)
    with app.app_context():
        accounts = db.session().scalars(select(Account)).all()
    assert [(a.issuer, a.subject) for a in accounts] == [(oidc_provider.url, "demo-marie-corse")]
    columns = set(Account.__table__.columns.keys())
    assert columns == {"id", "issuer", "subject", "created_at", "last_login_at"}


def test_logging_in_twice_reuses_the_account(app, client):
    login_with_client(client, "demo-karim-maroc")
    login_with_client(client, "demo-karim-maroc")
    with app.app_context():
        assert len(db.session().scalars(select(Account)).all()) == 1


def test_a_login_without_the_eidas1_level_is_refused(app, client):
    response = login_with_client(client, "demo-sans-eidas1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "La connexion avec FranceConnect" in client.get("/").get_data(as_text=True)
    assert client.get("/mon-espace").status_code == 302
    with app.app_context():
        assert db.session().scalars(select(Account)).all() == []


def test_a_callback_with_a_forged_state_is_refused(client):
    client.get("/connexion")
    response = client.get("/connexion/retour?code=forged&state=" + "x" * 43)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/mon-espace").status_code == 302


def test_my_space_asks_to_log_in_and_comes_back_in_english(client):
    response = client.get("/en/mon-espace")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion?next=/en/mon-espace"
    assert login_with_client(client, "demo-karim-maroc", "/en/mon-espace").headers["Location"] == "/en/mon-espace"
    assert "Hello Karim" in client.get("/en/mon-espace").get_data(as_text=True)


def test_logout_ends_the_provider_session_too(client, oidc_provider):
    login_with_client(client, "demo-marie-corse")
    response = client.post("/deconnexion", data={"next": "/mon-espace"})
    location = response.headers["Location"]
    assert location.startswith(oidc_provider.url + "/oauth2/end_session?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["id_token_hint"].count(".") == 2 and len(query["state"]) >= 32
    assert query["post_logout_redirect_uri"] == "http://localhost/deconnexion/retour"
    assert client.get("/mon-espace").status_code == 302
    back = client.get("/deconnexion/retour", query_string={"state": query["state"]})
    assert back.headers["Location"] == "/"
    assert "Vous êtes déconnecté" in client.get("/").get_data(as_text=True)


def test_the_next_parameter_never_leaves_the_site(client):
    response = login_with_client(client, "demo-marie-corse", next_path="//evil.example/")
    assert response.headers["Location"] == "/mon-espace"
