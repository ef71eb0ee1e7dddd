"""Error pages: the DSFR error page in the visitor's language, the right status, no trace."""

import pytest
from flask import abort
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.database import db
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY

TRACE_MARKERS = ("Traceback", "RuntimeError", "File &#34;", 'File "', "werkzeug", "secret detail")


@pytest.fixture
def failing_app(database_url):
    """The portal as production runs it (exceptions handled, not propagated), with routes that fail."""
    app = create_app({
        "SECRET_KEY": "test-secret", "DATABASE_URL": database_url, "PROPAGATE_EXCEPTIONS": False,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
    })

    def crash():
        raise RuntimeError("secret detail")

    def forbidden():
        abort(403)

    def database_down():
        raise OperationalError("SELECT 1", {}, Exception("secret detail"))

    for prefix in ("", "/en"):
        app.add_url_rule(f"{prefix}/essai/panne", f"crash{prefix}", crash)
        app.add_url_rule(f"{prefix}/essai/interdit", f"forbidden{prefix}", forbidden)
        app.add_url_rule(f"{prefix}/essai/base", f"database{prefix}", database_down)
    yield app
    db.dispose(app)


def assert_error_page(response, status, heading, lang):
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert 'class="fr-footer"' in page and 'class="fr-header"' in page
    for marker in TRACE_MARKERS:
        assert marker not in page


@pytest.mark.parametrize(("path", "status", "heading", "lang"), [
    ("/nulle-part", 404, "Page non trouvée", "fr"),
    ("/en/nowhere", 404, "Page not found", "en"),
    ("/essai/interdit", 403, "Accès refusé", "fr"),
    ("/en/essai/interdit", 403, "Access denied", "en"),
    ("/essai/panne", 500, "Erreur inattendue", "fr"),
    ("/en/essai/panne", 500, "Unexpected error", "en"),
    ("/essai/base", 503, "Service indisponible", "fr"),
    ("/en/essai/base", 503, "Service unavailable", "en"),
])
def test_errors_show_the_dsfr_error_page_in_the_visitors_language(failing_app, path, status, heading, lang):
    assert_error_page(failing_app.test_client().get(path), status, heading, lang)


def test_a_server_error_is_logged_for_the_operators_with_its_route(failing_app, caplog):
    failing_app.test_client().get("/essai/panne")
    assert "unexpected error on GET /essai/panne: RuntimeError" in caplog.text


def test_an_unavailable_service_says_when_to_come_back(failing_app):
    response = failing_app.test_client().get("/essai/base")
    assert int(response.headers["Retry-After"]) > 0


def test_a_wrong_method_is_a_405_page(client):
    response = client.post("/mentions-legales")
    assert_error_page(response, 405, "Action impossible", "fr")


def test_too_many_requests_show_the_429_page_in_english(app):
    app.config["CONTACT_RATE_LIMIT"] = "1 per hour"
    client = app.test_client()
    form = {"topic": "question", "body": "Bonjour"}
    assert client.post("/en/aide/contact", data=form).status_code == 303
    assert_error_page(client.post("/en/aide/contact", data=form), 429, "Too many requests", "en")


@pytest.mark.db
def test_a_connection_lost_during_a_request_does_not_turn_its_answer_into_a_500(failing_app, database_url, caplog):
    """A failover: the server ends the request's connection after the page was made. The rollback
    at the end of the request fails; the page still goes out, the failure is logged by type."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a server that ends connections is PostgreSQL's case")
    from sqlalchemy import text

    from tests.registry.test_db_pool import terminate

    def read_then_lose_the_connection():
        pid = db.session().execute(text("SELECT pg_backend_pid()")).scalar()  # a transaction is open
        terminate(database_url, pid)
        return "page made"

    failing_app.add_url_rule("/essai/bascule", "failover", read_then_lose_the_connection)
    response = failing_app.test_client().get("/essai/bascule")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "page made")
    assert "database connection lost at the end of a request: OperationalError" in caplog.text
    assert failing_app.test_client().get("/essai/bascule").status_code == 200  # the pool gave a live one
