"""« Mes données »: the export (JSON and PDF) and account deletion, logged in through the real
development provider."""

import json

import pytest
from sqlalchemy import select

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.accounts import Account
from registry.identifiers import parse_identifier
from registry.oppositions import current_opposition
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import login_with_client
from tests.registry.test_no_raw_identifier import formattings

MARIE, KARIM, JULIE, CHILD = (p.nir for p in DEMO_PEOPLE)


@pytest.fixture
def app(database_url, oidc_provider):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY,
        "WTF_CSRF_ENABLED": False, "FRANCECONNECT_ISSUER": oidc_provider.url,
    })
    yield app
    db.dispose(app)


def file_as_julie(client):
    login_with_client(client, "demo-julie-parent")
    own = client.post("/mon-espace/opposition", data={"nir": JULIE, "scope": "all", "confirm": "y"})
    child = client.post("/mon-espace/procuration", data={
        "proxy_for": "minor", "nir": CHILD, "birthdate": "09/03/2018", "scope": "some", "purposes": ["ai"], "attest": "y"})
    assert own.status_code == child.status_code == 303
    return own.headers["Location"].rsplit("/", 1)[1], child.headers["Location"].rsplit("/", 1)[1]


def assert_no_raw_number(text: str) -> None:
    for nir in (JULIE, CHILD):
        normalised = parse_identifier(nir).value
        for form in formattings(normalised):
            assert form not in text, "a raw number is in the export"


def test_my_data_needs_a_login(client):
    for path in ("/mon-espace/mes-donnees", "/mon-espace/mes-donnees.json", "/en/mon-espace/mes-donnees.pdf"):
        assert client.get(path).status_code == 302


def test_the_json_export_holds_the_account_the_people_history_and_receipts(client):
    own_receipt, child_receipt = file_as_julie(client)
    response = client.get("/mon-espace/mes-donnees.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.data)
    assert document["account"]["subject_at_identity_provider"] == "demo-julie-parent"
    own, child = document["people"]
    assert (own["relation"], child["relation"], child["proxy_for"]) == ("self", "proxy", "minor")
    assert own["opposition_in_force"]["active"] and len(own["opposition_in_force"]["purposes"]) == 8
    assert [p["code"] for p in child["opposition_in_force"]["purposes"]] == ["ai"]
    assert [v["receipt_reference"] for v in own["history"]] == [own_receipt]
    assert [(v["action"], v["channel"], v["actor"]) for v in child["history"]] == [("filed", "online", "proxy")]
    assert child["history"][0]["receipt_reference"] == child_receipt
    assert own["applied_by_warehouses"] == []
    assert_no_raw_number(response.get_data(as_text=True))


def test_the_pdf_export_is_readable_in_english_without_a_raw_number(client):
    own_receipt, child_receipt = file_as_julie(client)
    response = client.get("/en/mon-espace/mes-donnees.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert own_receipt.encode() in response.data and child_receipt.encode() in response.data
    assert b"My data in the national opt-out registry" in response.data
    assert_no_raw_number(response.data.decode("latin-1"))


def test_deleting_the_account_keeps_the_oppositions_and_logs_out(app, client):
    file_as_julie(client)
    page = client.get("/mon-espace/mes-donnees").get_data(as_text=True)
    assert "Vos oppositions ne sont pas supprimées" in page
    refused = client.post("/mon-espace/mes-donnees/supprimer-mon-compte", data={})
    assert refused.status_code == 400
    assert "Cochez cette case pour confirmer la suppression de votre compte." in refused.get_data(as_text=True)
    deleted = client.post("/en/mon-espace/mes-donnees/supprimer-mon-compte", data={"confirm": "y"})
    assert deleted.status_code == 303 and deleted.headers["Location"] == "/en/"
    assert "Your account has been deleted. Your opt-outs stay in force." in client.get("/en/").get_data(as_text=True)
    assert client.get("/mon-espace/mes-donnees").status_code == 302
    with app.app_context():
        from portal.keys import keyring

        session = db.session()
        assert session.scalars(select(Account)).all() == []
        assert current_opposition(session, keyring(), parse_identifier(JULIE)).active
        assert current_opposition(session, keyring(), parse_identifier(CHILD)).active
