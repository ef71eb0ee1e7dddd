"""Professionals: Pro Santé Connect login against a real OIDC provider process, attempts under the
account, attestation PDF, public verification with code and score, and the DPC export."""

import csv
import html
import io
import re

import pytest

from campaigns.learning_models import Professional, QuizAttempt
from campaigns.modules import default_catalogue
from portal.database import db
from portal.learning.forms import field_name
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.prosanteconnect import (  # noqa: F401
    DEMO_PROFESSIONAL,
    WITHOUT_EIDAS,
    callback_path,
    psc_config,
    psc_provider,
)

MODULE = "/modules/informer-patient"
CONTENT = default_catalogue().get("informer-patient", "fr")


def open_quiz(client):
    """Open the quiz: its drawn questions, all-right answers and all-wrong answers."""
    page = client.get(MODULE + "/quiz").get_data(as_text=True)
    names = set(re.findall(r'name="(q_[^"]+)"', page))
    questions = [q for q in CONTENT.questions if field_name(q) in names]
    right = {field_name(q): sorted(q.correct_ids) for q in questions}
    wrong = {field_name(q): sorted(q.option_ids - q.correct_ids)[:1] for q in questions}
    return questions, right, wrong


@pytest.fixture
def app(database_url, psc_provider):  # noqa: F811
    from portal import create_app

    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
        **psc_config(psc_provider),
    })
    yield app
    db.dispose(app)


def log_in(client, provider, next_path=None, sub=DEMO_PROFESSIONAL["sub"]):
    response = client.get("/pro/connexion" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302 and response.location.startswith(provider.issuer)
    location = provider.authorize(response.location, sub)
    return client.get(callback_path(location))


def test_login_creates_the_account_from_subject_name_id_and_subject_ref_pro(client, app, psc_provider):  # noqa: F811
    response = log_in(client, psc_provider, next_path=MODULE + "/quiz")
    assert response.status_code == 302 and response.location == MODULE + "/quiz"
    with app.app_context():
        professional = db.session().query(Professional).one()
        assert professional.professional_identifier == "899700218896"
        assert professional.display_name == "CAMILLE MARTIN"
        assert professional.profession == "Médecin"
        assert professional.issuer == psc_provider.issuer
    assert "Bonjour CAMILLE MARTIN" in client.get("/pro/").get_data(as_text=True)


def test_the_login_asks_for_scope_all_with_a_long_nonce_and_pkce(client):
    location = client.get("/pro/connexion").location
    assert "scope=openid+scope_all" in location
    assert re.search(r"nonce=[A-Za-z0-9_-]{43}", location)
    assert "code_challenge_method=S256" in location
    assert "acr_values=eidas1" in location


def test_an_open_redirect_is_refused_after_login(client, psc_provider):  # noqa: F811
    response = log_in(client, psc_provider, next_path="//evil.example/")
    assert response.location == "/pro/"


def test_a_login_below_the_eidas1_level_is_refused(client, app, psc_provider):  # noqa: F811
    response = log_in(client, psc_provider, sub=WITHOUT_EIDAS["sub"])
    assert response.location == "/pro/"
    page = html.unescape(client.get("/pro/").get_data(as_text=True))
    assert "Le niveau d'authentification requis n'a pas été atteint" in page
    assert "Se connecter avec Pro Santé Connect" in page
    with app.app_context():
        assert db.session().query(Professional).count() == 0


def test_a_refused_login_says_so(client):
    client.get("/pro/connexion")
    response = client.get("/pro/connexion/retour?error=access_denied&state=x", follow_redirects=True)
    assert "annulée ou refusée" in html.unescape(response.get_data(as_text=True))


def test_a_passed_quiz_gives_an_attestation_that_verifies_only_with_code_and_score(client, app, psc_provider):  # noqa: F811
    app.config["LEARNING_RETAKE_WAIT_MINUTES"] = 0
    log_in(client, psc_provider)
    client.post(MODULE + "/pre-test", data={"q_pre_role": "true", "q_pre_ou": "a"})
    client.get(MODULE + "/lecons/expliquer")
    _questions, _right, wrong = open_quiz(client)
    assert client.post(MODULE + "/quiz", data=wrong).status_code == 302
    assert "Tentatives restantes : 4." in client.get(MODULE + "/").get_data(as_text=True)
    _questions, right, _wrong = open_quiz(client)
    assert client.post(MODULE + "/quiz", data=right).status_code == 302
    result = html.unescape(client.get(MODULE + "/resultat").get_data(as_text=True))
    assert "Réussi : 100 %" in result
    code = re.search(r"Code de vérification : ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", result).group(1)

    pdf = client.get(f"/pro/attestations/{code.replace('-', '')}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")

    anonymous = client.application.test_client()
    assert anonymous.get(f"/pro/attestations/{code.replace('-', '')}.pdf").status_code == 302
    wrong_score = anonymous.post("/attestations/verification", data={"code": code, "score": "90"})
    assert "Aucune attestation ne correspond" in wrong_score.get_data(as_text=True)
    good = html.unescape(anonymous.post("/attestations/verification",
                                        data={"code": code.lower(), "score": "100"}).get_data(as_text=True))
    assert "Attestation authentique" in good
    assert "CAMILLE MARTIN" in good and "899700218896" in good and f"version {CONTENT.version}" in good

    export = client.get("/pro/export.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "professional_identifier"
    assert rows[1][:4] == ["899700218896", "CAMILLE MARTIN", "informer-patient", str(CONTENT.version)]
    assert rows[1][5] == str(CONTENT.duration_minutes) and rows[1][7] == "100" and rows[1][8] == code


def test_a_failed_attempt_names_the_lessons_to_reread_and_the_retake_waits(client, app, psc_provider):  # noqa: F811
    app.config["LEARNING_RETAKE_WAIT_MINUTES"] = 10
    log_in(client, psc_provider)
    questions, right, wrong = open_quiz(client)
    assert open_quiz(client)[0] == questions  # a reload shows the same draw
    assert client.post(MODULE + "/quiz", data=wrong).status_code == 302
    result = html.unescape(client.get(MODULE + "/resultat").get_data(as_text=True))
    assert "Pas encore : 0 %" in result and "Questions à revoir" in result
    for question in questions:
        assert question.prompt in result and question.explanation not in result
        assert f'href="{MODULE}/lecons/{question.lesson}"' in result
        assert not any(option.feedback in result for option in question.options)
    assert "bonne réponse" not in result and "Réessayer le quiz" not in result
    assert "Vous pourrez repasser le quiz à partir de" in result

    refused = client.get(MODULE + "/quiz")
    assert refused.status_code == 302 and refused.location == MODULE + "/"
    module_page = html.unescape(client.get(MODULE + "/").get_data(as_text=True))
    assert "Vous pourrez repasser le quiz à partir de" in module_page and "heure de Paris" in module_page
    assert "Passer le quiz" not in module_page
    # the same answers sent again, or right ones, change nothing
    assert client.post(MODULE + "/quiz", data=right).status_code == 302
    with app.app_context():
        assert db.session().query(QuizAttempt).count() == 1


def test_verification_with_bad_input_is_a_clear_message_not_an_error(client):
    response = client.post("/attestations/verification", data={"code": "", "score": ""})
    assert response.status_code == 422
    assert "Saisissez le code de vérification." in response.get_data(as_text=True)
    english = client.post("/en/attestations/verification", data={"code": "zz", "score": "abc"})
    assert "No attestation matches" in english.get_data(as_text=True)


def test_logout_ends_the_provider_session_too(client, psc_provider):  # noqa: F811
    log_in(client, psc_provider)
    response = client.post("/pro/deconnexion")
    assert response.location.startswith(psc_provider.issuer + "/oauth2/end_session")
    assert "Se connecter avec Pro Santé Connect" in client.get("/pro/").get_data(as_text=True)


def test_an_unreachable_provider_is_a_clear_message_not_an_error(database_url):
    from portal import create_app

    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
        "PSC_ISSUER": "http://127.0.0.1:9", "PSC_CLIENT_ID": "x", "PSC_CLIENT_SECRET": "y",
    })
    try:
        client = app.test_client()
        response = client.get("/en/pro/connexion", follow_redirects=True)
        assert response.status_code == 200
        assert "Pro Santé Connect is not answering" in response.get_data(as_text=True)
    finally:
        db.dispose(app)
