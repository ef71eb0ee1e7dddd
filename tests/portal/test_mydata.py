"""« Mes données »: the export (JSON and PDF) and account deletion, logged in through the real
development provider. The proved person's export holds everything about them; any other
holder's holds its own claim and that claim's versions only (a proxy filed by a stranger must
not become a way to watch someone)."""

import json
import re

import pytest
from sqlalchemy import select

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.accounts import Account
from registry.identifiers import parse_identifier
from registry.oppositions import current_opposition
from registry.ownership import agent_filing
from registry.purposes import Purpose
from registry.transparency import record_applications
from registry.warehouses import create_warehouse, get_warehouse
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import login_with_client
from tests.pdf_text import pdf_text
from tests.registry.test_no_raw_identifier import formattings

MARIE, KARIM, JULIE, CHILD = (p.nir for p in DEMO_PEOPLE)
WAREHOUSE = "Entrepôt de santé de Bretagne"


@pytest.fixture
def app(database_url, oidc_provider):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY,
        "WTF_CSRF_ENABLED": False, "FRANCECONNECT_ISSUER": oidc_provider.url,
    })
    yield app
    db.dispose(app)


def receipt_of(response) -> str:
    assert response.status_code == 303, response.status_code
    return response.headers["Location"].rsplit("/", 1)[1]


def file_as_julie(client):
    """Julie proves to be herself (her identity matches her number) and files for her child."""
    login_with_client(client, "demo-julie-parent")
    own = client.post("/mon-espace/opposition", data={"nir": JULIE, "scope": "all", "confirm": "y"})
    child = client.post("/mon-espace/procuration", data={
        "proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018", "scope": "some", "purposes": ["ai"], "attest": "y"})
    return receipt_of(own), receipt_of(child)


def number_hash(app, nir: str) -> str:
    with app.app_context():
        from portal.keys import keyring

        return keyring().hasher.digest(parse_identifier(nir).value).hex()


def marie_at_the_counter_and_in_a_warehouse(app) -> str:
    """Marie's opposition set at a counter (identity document checked), then applied by a
    warehouse for research: the counter's receipt reference."""
    with app.app_context():
        from portal.keys import keyring

        session = db.session()
        identifier = parse_identifier(MARIE)
        filing = agent_filing(session, keyring(), identifier, request="set", purposes=None, channel="counter",
                              agent="staff:1", evidence_checked=True)
        warehouse = get_warehouse(session, create_warehouse(session, WAREHOUSE).client_id)
        record_applications(session, warehouse.id, [keyring().hasher.digest(identifier.value)], Purpose.RESEARCH)
        session.commit()
        return filing.version.receipt_reference


def stranger_files_for_marie(app, client):
    """Marie proves to be herself (without filing); Karim, a stranger who knows her number and
    birth date, files as her "proxy" and for Julie's child. Returns Marie's client, the counter's
    receipt and Karim's two receipts."""
    counter = marie_at_the_counter_and_in_a_warehouse(app)
    marie = app.test_client()
    login_with_client(marie, "demo-marie-corse")
    assert marie.post("/mon-espace/retrouver", data={"nir": MARIE}).status_code == 303
    login_with_client(client, "demo-karim-maroc")
    on_marie = client.post("/mon-espace/procuration", data={
        "proxy_for": "protected_adult", "nir": MARIE, "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985", "scope": "some", "purposes": ["ai"],
        "attest": "y"})
    on_child = client.post("/mon-espace/procuration", data={
        "proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018", "scope": "all", "attest": "y"})
    return marie, counter, receipt_of(on_marie), receipt_of(on_child)


def codes(purposes) -> list[str]:
    return [p["code"] for p in purposes]


def assert_no_raw_number(text: str) -> None:
    for nir in (MARIE, JULIE, CHILD):
        normalised = parse_identifier(nir).value
        for form in formattings(normalised):
            assert form not in text, "a raw number is in the export"


def test_my_data_needs_a_login(client):
    for path in ("/mon-espace/mes-donnees", "/mon-espace/mes-donnees.json", "/en/mon-espace/mes-donnees.pdf"):
        assert client.get(path).status_code == 302


def test_the_json_export_holds_the_account_the_person_and_the_accounts_own_claims(app, client):
    own_receipt, child_receipt = file_as_julie(client)
    response = client.get("/mon-espace/mes-donnees.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.data)
    assert set(document) == {"service", "generated_at", "account", "person", "claims"}
    assert document["account"]["subject_at_identity_provider"] == "demo-julie-parent"
    person = document["person"]
    assert person["identifier_fingerprint"]["hmac_sha256"] == number_hash(app, JULIE)
    assert "HMAC" in person["identifier_fingerprint"]["note"]
    assert person["opposition_in_force"]["active"] and len(person["opposition_in_force"]["purposes"]) == 8
    assert [v["receipt_reference"] for v in person["history"]] == [own_receipt]
    assert [(v["action"], v["channel"], v["actor"], v["who"]) for v in person["history"]] == [
        ("filed", "online", "self", "person")]
    assert len(person["history"][0]["purposes_in_force_after"]) == 8
    assert [(c["relation"], len(c["purposes"])) for c in person["claims_in_force"]] == [("person", 8)]
    assert person["applied_by_warehouses"] == [] and person["refused_proof_attempts"] == []
    [child] = document["claims"]
    assert (child["relation"], child["proxy_for"], child["active"], child["superseded"]) == ("proxy", "minor", True, False)
    assert codes(child["purposes"]) == ["ai"]
    assert [(v["action"], v["channel"], v["receipt_reference"]) for v in child["history"]] == [
        ("filed", "online", child_receipt)]
    assert codes(child["history"][0]["claim_purposes_after"]) == ["ai"]
    assert set(child) == {"relation", "relation_label", "proxy_for", "purposes", "active", "superseded",
                          "created_at", "history"}
    assert set(child["history"][0]) == {"version", "action", "action_label", "claim_purposes_after", "channel",
                                        "effective_at", "receipt_reference"}
    body = response.get_data(as_text=True)
    assert number_hash(app, CHILD) not in body
    assert_no_raw_number(body)


def test_a_claims_versions_are_numbered_within_the_claim_newest_first(app, client):
    _, child_receipt = file_as_julie(client)
    [claim_id] = set(re.findall(r"/mon-espace/oppositions/(\d+)/usages", client.get("/mon-espace").get_data(as_text=True)))
    changed = client.post(f"/mon-espace/oppositions/{claim_id}/usages", data={"scope": "some", "purposes": ["ai", "research"]})
    change_receipt = receipt_of(changed)
    [child] = json.loads(client.get("/mon-espace/mes-donnees.json").data)["claims"]
    assert [(v["version"], v["action"], v["receipt_reference"], codes(v["claim_purposes_after"])) for v in child["history"]] == [
        (2, "changed", change_receipt, ["research", "ai"]), (1, "filed", child_receipt, ["ai"])]
    assert codes(child["purposes"]) == ["research", "ai"]


def test_the_pdf_export_is_readable_in_english_without_a_raw_number(client):
    own_receipt, child_receipt = file_as_julie(client)
    response = client.get("/en/mon-espace/mes-donnees.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert own_receipt in text and child_receipt in text
    assert "My data in the national opt-out registry" in text
    assert "Fingerprint of the number computed with a secret key" in text
    assert_no_raw_number(text)
    assert_no_raw_number(response.data.decode("latin-1"))


def test_a_strangers_proxy_export_holds_its_own_claim_only(app, client):
    _, counter, on_marie, on_child = stranger_files_for_marie(app, client)
    response = client.get("/mon-espace/mes-donnees.json")
    body = response.get_data(as_text=True)
    document = json.loads(body)
    assert document["person"] is None
    assert [(c["relation"], c["proxy_for"]) for c in document["claims"]] == [("proxy", "protected_adult"), ("proxy", "minor")]
    on_marie_claim = document["claims"][0]
    assert codes(on_marie_claim["purposes"]) == ["ai"]
    # numbered within its claim: Marie's version number (2) would tell that someone filed before
    assert [(v["version"], v["receipt_reference"]) for v in on_marie_claim["history"]] == [(1, on_marie)]
    assert codes(on_marie_claim["history"][0]["claim_purposes_after"]) == ["ai"]
    assert on_child in body
    # nothing of Marie's beyond the stranger's own request: not her counter version, its
    # channel or evidence, the opposition in force, the warehouse, or her number's hash
    for absent in (counter, WAREHOUSE, number_hash(app, MARIE), number_hash(app, CHILD), "counter",
                   "identity_document", "purposes_in_force_after", "applied_by_warehouses", "hmac_sha256",
                   "opposition_in_force"):
        assert absent not in body, absent
    assert_no_raw_number(body)
    for prefix in ("", "/en"):
        pdf = pdf_text(client.get(f"{prefix}/mon-espace/mes-donnees.pdf").data)
        assert on_marie in pdf and on_child in pdf
        for absent in (counter, WAREHOUSE, number_hash(app, MARIE), "HMAC", "Au guichet", "At the counter"):
            assert absent not in pdf, absent
        assert_no_raw_number(pdf)


def test_the_proved_person_exports_everything_about_them(app, client):
    marie, counter, on_marie, on_child = stranger_files_for_marie(app, client)
    response = marie.get("/mon-espace/mes-donnees.json")
    body = response.get_data(as_text=True)
    document = json.loads(body)
    person = document["person"]
    assert document["claims"] == []
    assert person["identifier_fingerprint"]["hmac_sha256"] == number_hash(app, MARIE)
    assert person["opposition_in_force"]["active"] and len(person["opposition_in_force"]["purposes"]) == 8
    assert [(v["receipt_reference"], v["channel"], v["actor"], v["who"], v["evidence"]) for v in person["history"]] == [
        (on_marie, "online", "proxy", "proxy", None),
        (counter, "counter", "agent", "person", "identity_document"),
    ]
    assert [len(v["purposes_in_force_after"]) for v in person["history"]] == [8, 8]
    assert sorted((c["relation"], c["proxy_for"]) for c in person["claims_in_force"]) == [
        ("person", None), ("proxy", "protected_adult")]
    [applied] = person["applied_by_warehouses"]
    assert (applied["warehouse_name"], applied["purpose"]) == (WAREHOUSE, "research")
    assert applied["first_seen"] and applied["last_seen"]
    assert on_child not in body  # the stranger's request for someone else is not Marie's
    assert_no_raw_number(body)
    pdf = pdf_text(marie.get("/mon-espace/mes-donnees.pdf").data)
    for present in (counter, on_marie, WAREHOUSE, number_hash(app, MARIE), "Au guichet", "Un représentant légal"):
        assert present in pdf, present


def test_the_page_says_whether_the_account_is_the_person_and_counts_its_requests_for_others(app, client):
    file_as_julie(client)
    page = client.get("/mon-espace/mes-donnees").get_data(as_text=True).replace("&#39;", "'")
    assert "Vous avez prouvé être la personne de votre numéro" in page
    assert "Vous avez fait 1 demande pour une autre personne" in page
    stranger = app.test_client()
    stranger_files_for_marie(app, stranger)
    french = stranger.get("/mon-espace/mes-donnees").get_data(as_text=True).replace("&#39;", "'")
    assert "Vous n'avez pas prouvé être la personne d'un numéro" in french
    assert "Vous avez fait 2 demandes pour d'autres personnes" in french
    english = stranger.get("/en/mon-espace/mes-donnees").get_data(as_text=True).replace("&#39;", "'")
    assert "You have not proved to be the person of a number" in english
    assert "You made 2 requests for other people" in english


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
