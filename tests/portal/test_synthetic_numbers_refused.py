"""Demo and sandbox numbers (``registry.identifiers.is_synthetic``) are refused where
``ALLOW_TEST_IDENTIFIERS`` is off, as in production, and accepted where it is on, as in
development: the citizen's filing form, the agent's filing form and the lookup API, through HTTP.
Each test runs with the setting off and on, so a setting that did nothing fails one of them."""

from __future__ import annotations

import html
import re

import pytest
import requests
from sqlalchemy import func, select

from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import synthetic_number
from registry.models import OppositionVersion
from tests.oidc_provider import login_with_client
from tests.portal.api.conftest import LiveServer, make_api_app
from tests.portal.staff.conftest import PASSWORD, totp_now
from tests.registry.nir_factory import make_nir, spaced

MARIE = DEMO_PEOPLE[0]
# A sandbox number of each kind: born overseas, abroad, in Corsica before 1976, in a département.
SANDBOX = [synthetic_number(1, 0, 1, "974", 5, 3), synthetic_number(2, 61, 7, "99", 17, 9),
           synthetic_number(1, 70, 1, "20", 5, 1), synthetic_number(2, 1, 12, "13", 999, 6)]
REAL = make_nir(2, 85, 2, "2A", "004", 123)  # a commune that exists (Ajaccio)
CITIZEN_REFUSAL = "Les numéros de test ne sont pas acceptés."
STAFF_REFUSAL = "Les numéros de test et de démonstration ne sont pas acceptés ici."
SETTING = [pytest.param(False, id="refused-as-in-production"), pytest.param(True, id="accepted-as-in-development")]


@pytest.fixture(params=SETTING)
def allowed(request) -> bool:
    return request.param


@pytest.fixture
def app(database_url, tmp_path, oidc_provider, allowed):
    app = make_api_app(database_url, tmp_path, FRANCECONNECT_ISSUER=oidc_provider.url, WTF_CSRF_ENABLED=False,
                       ALLOW_TEST_IDENTIFIERS=allowed)
    yield app
    db.dispose(app)


def filings(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(OppositionVersion))


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_citizen_filing_form_refuses_a_demo_number_only_when_test_numbers_are_off(app, client, allowed):
    login_with_client(client, "demo-marie-corse")
    response = client.post("/mon-espace/opposition", data={"nir": MARIE.nir, "scope": "all", "confirm": "y"})
    if allowed:
        assert response.status_code == 303 and filings(app) == 1
    else:
        assert response.status_code == 200 and CITIZEN_REFUSAL in page_text(response)
        assert filings(app) == 0


def sign_in_agent(app, client) -> None:
    email = "agent@sante.gouv.fr"
    result = app.test_cli_runner().invoke(args=["staff", "create", email, "--role", "agent"],
                                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert client.post("/staff/connexion", data={"email": email, "password": PASSWORD}).status_code == 302
    assert client.post("/staff/connexion/code", data={"code": totp_now(app, email)}).status_code == 302


@pytest.mark.parametrize("number", [MARIE.nir, *map(spaced, SANDBOX)], ids=["demo", "overseas", "abroad", "corsica-20", "metropolitan"])
def test_the_agent_filing_form_refuses_demo_and_sandbox_numbers_only_when_test_numbers_are_off(app, client, allowed, number):
    sign_in_agent(app, client)
    value = number.replace(" ", "")
    sex = "male" if value[0] in "137" else "female"
    century = 1900 if int(value[1:3]) > 30 else 2000
    birthdate = {"birthdate-day": "01", "birthdate-month": value[3:5], "birthdate-year": str(century + int(value[1:3]))}
    response = client.post("/staff/depot", data={"identifier": number, "sex": sex, **birthdate,
                                                 "channel": "counter", "request": "all"})
    if allowed:
        assert response.status_code in (302, 303) and filings(app) == 1
    else:
        assert response.status_code in (200, 422) and STAFF_REFUSAL in page_text(response)
        assert filings(app) == 0


def test_the_agent_filing_form_accepts_a_real_commune_either_way(app, client):
    sign_in_agent(app, client)
    response = client.post("/staff/depot", data={"identifier": spaced(REAL), "sex": "female",
                                                 "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985",
                                                 "channel": "counter", "request": "all"})
    assert response.status_code in (302, 303) and filings(app) == 1


@pytest.mark.parametrize("size", [1, 300], ids=["one-by-one", "vector-batch"])
def test_the_lookup_api_answers_test_identifier_for_demo_and_sandbox_numbers_only_when_test_numbers_are_off(app, allowed, size):
    numbers = [p.nir for p in DEMO_PEOPLE] + SANDBOX + [REAL]
    batch = (numbers * size)[:max(len(numbers), size)]
    with LiveServer(app) as live:
        token = live.token(live.create_warehouse("CHU de Test"))
        response = requests.post(live.url + "/api/v1/lookup", headers={"Authorization": f"Bearer {token}"},
                                 json={"purpose": "research", "identifiers": batch}, timeout=60)
    assert response.status_code == 200, response.status_code
    results = response.json()["results"]
    assert len(results) == len(batch)
    codes = [result.get("error") for result in results]
    for number, code in zip(batch, codes):
        if number == REAL or allowed:
            assert code is None
        else:
            assert code == "test_identifier"


def test_the_reasons_a_warehouse_may_get_include_test_identifier(app):
    with LiveServer(app) as live:
        codes = [e["code"] for e in requests.get(live.url + "/api/v1/purposes", timeout=30).json()["identifier_errors"]]
    assert "test_identifier" in codes


def test_the_demo_numbers_match_the_demo_citizens_traits():
    """What the development help page lists: each demo citizen's number carries her claimed
    birthplace (or country), so she can prove to be the person."""
    from portal.demo import DEMO_CITIZENS

    for citizen in DEMO_CITIZENS:
        place = citizen.person.nir.replace(" ", "")[5:10]
        assert place in (citizen.birthplace, citizen.birthcountry)
        assert re.fullmatch(r"\d \d\d \d\d [0-9AB]{2} \d{3} \d{3} \d\d", citizen.person.nir)
