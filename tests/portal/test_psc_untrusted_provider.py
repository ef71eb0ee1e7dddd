"""Issue 17, line 6: a Pro Santé Connect answer that cannot be trusted refuses the login, with a
clear message in French and in English and a log line that names the reason and nothing about
the person: userinfo about another ``sub`` than the ID token's (OpenID Connect Core 5.3.2), and
an ID token signed with an algorithm outside the allow-list.

The provider is the real ``oidc-provider-mock`` process the suite runs for Pro Santé Connect, in
the modes of ``tests/prosanteconnect.py`` that make it untrustworthy; the same process in its
ordinary mode signs the same professional in (the control)."""

from __future__ import annotations

import html
import logging

import pytest

from campaigns.learning_models import Professional
from portal import create_app
from portal.database import db
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.prosanteconnect import DEMO_PROFESSIONAL, OidcProvider, callback_path, psc_config, psc_provider  # noqa: F401

REFUSED = {
    "fr": "La réponse de Pro Santé Connect n'a pas pu être vérifiée",
    "en": "Pro Santé Connect's answer could not be verified",
}
SIGN_IN = {"fr": "Se connecter avec Pro Santé Connect", "en": "Log in with Pro Santé Connect"}
# what the log must never hold: the professional's sub, identifier and names
PERSONAL = (DEMO_PROFESSIONAL["sub"], "someone-else-entirely", DEMO_PROFESSIONAL["SubjectNameID"],
            "CAMILLE", "MARTIN")


def start(provider: OidcProvider) -> OidcProvider:
    try:
        provider.wait_until_ready()
    except BaseException:
        provider.stop()
        raise
    return provider


@pytest.fixture(scope="module")
def userinfo_about_someone_else():
    provider = start(OidcProvider([DEMO_PROFESSIONAL], userinfo_sub="someone-else-entirely"))
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def id_token_in_ps256():
    provider = start(OidcProvider([DEMO_PROFESSIONAL], id_token_alg="PS256"))
    yield provider
    provider.stop()


def portal_for(database_url, provider):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                       "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
                       **psc_config(provider)})


def sign_in(app, provider, language: str) -> str:
    """The professional signs in from the page in ``language``; the page they land on, as text."""
    client = app.test_client()
    prefix = "/en" if language == "en" else ""
    response = client.get(prefix + "/pro/connexion")
    assert response.status_code == 302 and response.location.startswith(provider.issuer)
    back = client.get(callback_path(provider.authorize(response.location, DEMO_PROFESSIONAL["sub"])))
    assert back.status_code == 302
    return html.unescape(client.get(back.location).get_data(as_text=True))


def professionals(app) -> int:
    with app.app_context():
        return db.session().query(Professional).count()


def assert_refused(app, provider, language, caplog, check):
    caplog.clear()
    with caplog.at_level(logging.INFO):
        page = sign_in(app, provider, language)
    assert SIGN_IN[language] in page and "Bonjour" not in page and "Hello" not in page
    assert professionals(app) == 0
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Pro Santé Connect answer refused: " + check in logged
    assert "Pro Santé Connect login refused: untrusted_answer" in logged
    assert not [value for value in PERSONAL if value in logged], logged
    assert REFUSED[language] in page  # in the language of the page the person started from


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_userinfo_about_another_sub_than_the_id_token_refuses_the_login(
        database_url, userinfo_about_someone_else, language, caplog):
    app = portal_for(database_url, userinfo_about_someone_else)
    try:
        assert_refused(app, userinfo_about_someone_else, language, caplog, "userinfo_subject")
    finally:
        db.dispose(app)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_id_token_signed_outside_the_allowed_algorithms_refuses_the_login(
        database_url, id_token_in_ps256, language, caplog):
    app = portal_for(database_url, id_token_in_ps256)
    try:
        assert_refused(app, id_token_in_ps256, language, caplog, "id_token_algorithm")
    finally:
        db.dispose(app)


def test_the_same_provider_process_in_its_ordinary_mode_signs_the_professional_in(
        database_url, psc_provider):  # noqa: F811
    app = portal_for(database_url, psc_provider)
    try:
        page = sign_in(app, psc_provider, "fr")
        assert "Bonjour CAMILLE MARTIN" in page and professionals(app) == 1
    finally:
        db.dispose(app)
