"""Filing, changing, withdrawing through HTTP, logged in through the real provider."""

import re

import pytest
from sqlalchemy import select

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import parse_identifier
from registry.models import OppositionVersion, Subject
from registry.oppositions import current_opposition
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import login_with_client
from tests.pdf_text import pdf_text
from tests.registry.test_no_raw_identifier import find_leaks

MARIE, KARIM, JULIE, CHILD = (p.nir for p in DEMO_PEOPLE)
BAD_KEY = MARIE[:-2] + ("00" if not MARIE.endswith("00") else "01")
OTHER_YEAR_WOMAN = "2 86 02 2A 004 123 " + str(97 - int("28602190041 23".replace(" ", "")) % 97).zfill(2)


def config(database_url, provider_url, **extra):
    return {
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY,
        "WTF_CSRF_ENABLED": False, "FRANCECONNECT_ISSUER": provider_url, **extra,
    }


@pytest.fixture
def app(database_url, oidc_provider):
    app = create_app(config(database_url, oidc_provider.url))
    yield app
    db.dispose(app)


def field_error(page: str) -> str:
    match = re.search(r'<p id="nir-erreur-1" class="fr-error-text">([^<]*)</p>', page)
    return match.group(1) if match else ""


def versions(app, nir):
    with app.app_context():
        from portal.keys import keyring

        session = db.session()
        subject = session.scalars(select(Subject).where(Subject.id_hash == keyring().hasher.digest(parse_identifier(nir).value))).one_or_none()
        return [] if subject is None else session.scalars(select(OppositionVersion).where(OppositionVersion.subject_id == subject.id)).all()


@pytest.mark.parametrize("prefix, nir, expected", [
    ("", BAD_KEY, "La clé (2 derniers chiffres) ne correspond pas au numéro"),
    ("/en", BAD_KEY, "The key (last 2 digits) does not match the number"),
    ("", KARIM, "le premier chiffre (sexe) est différent"),
    ("/en", KARIM, "the first digit (sex) is different"),
    ("", OTHER_YEAR_WOMAN, "Ce numéro ne correspond pas à votre année de naissance"),
    ("/en", OTHER_YEAR_WOMAN, "This number does not match your birth year"),
    ("", "2 85 02", "Le numéro doit compter 15 caractères"),
    ("/en", "", "Enter the social security number"),
])
def test_a_wrong_number_gets_a_clear_message_on_the_field(app, client, prefix, nir, expected):
    login_with_client(client, "demo-marie-corse")
    response = client.post(f"{prefix}/mon-espace/opposition", data={"nir": nir, "scope": "all", "confirm": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert expected in field_error(page).replace("&#39;", "'")
    assert 'aria-invalid="true"' in page and "fr-input-group--error" in page
    assert versions(app, MARIE) == []


def test_filing_twice_leaves_exactly_one_active_opposition(app, client):
    login_with_client(client, "demo-marie-corse")
    form = {"nir": MARIE, "scope": "all", "confirm": "y"}
    first = client.post("/mon-espace/opposition", data=form)
    second = client.post("/mon-espace/opposition", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(versions(app, MARIE)) == 1
    with app.app_context():
        from portal.keys import keyring

        assert current_opposition(db.session(), keyring(), parse_identifier(MARIE)).active


def test_the_receipt_and_its_pdf_show_the_reference_and_no_number(app, client):
    login_with_client(client, "demo-marie-corse")
    location = client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "some", "purposes": ["ai", "research"], "confirm": "y"}).headers["Location"]
    reference = location.rsplit("/", 1)[1]
    assert re.fullmatch(r"RNO(-[A-Z2-9]{4}){4}", reference)
    page = client.get(location).get_data(as_text=True)
    assert reference in page and "Recherche scientifique" in page
    pdf = client.get(location + ".pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert reference in text
    digits = MARIE.replace(" ", "")
    for content in (text, pdf.data.decode("latin-1")):  # what it shows, and its attachment and metadata
        assert digits not in content and digits[:13] not in content


def test_a_receipt_of_another_account_is_not_found(app, client, oidc_provider):
    login_with_client(client, "demo-marie-corse")
    location = client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"}).headers["Location"]
    other = app.test_client()
    login_with_client(other, "demo-karim-maroc")
    assert other.get(location).status_code == 404
    assert other.get(location + ".pdf").status_code == 404


def test_the_proved_person_changes_withdraws_and_files_again_from_my_space(app, client):
    login_with_client(client, "demo-marie-corse")
    client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"})
    assert "/mon-espace/mon-opposition/usages" in client.get("/mon-espace").get_data(as_text=True)
    assert client.post("/mon-espace/mon-opposition/usages", data={"scope": "some", "purposes": ["ai"]}).status_code == 303
    assert "Retirer mon opposition" in client.get("/mon-espace/mon-opposition/retrait").get_data(as_text=True)
    assert client.post("/mon-espace/mon-opposition/retrait").status_code == 303
    assert client.post("/mon-espace/mon-opposition/retrait").status_code == 303  # a second click
    assert "Aucune opposition en vigueur" in client.get("/mon-espace").get_data(as_text=True)
    client.post("/mon-espace/mon-opposition/usages", data={"scope": "all"})
    assert [v.action for v in versions(app, MARIE)] == ["filed", "changed", "withdrawn", "refiled"]


def test_a_holder_changes_withdraws_and_files_again_its_own_claim(app, client):
    login_with_client(client, "demo-julie-parent")
    client.post("/mon-espace/procuration", data={"proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018", "scope": "all", "attest": "y"})
    claim_id = re.search(r"/mon-espace/oppositions/(\d+)/usages", client.get("/mon-espace").get_data(as_text=True)).group(1)
    assert client.post(f"/mon-espace/oppositions/{claim_id}/usages", data={"scope": "some", "purposes": ["ai"]}).status_code == 303
    assert "Retirer ma demande" in client.get(f"/mon-espace/oppositions/{claim_id}/retrait").get_data(as_text=True)
    assert client.post(f"/mon-espace/oppositions/{claim_id}/retrait").status_code == 303
    assert client.post(f"/mon-espace/oppositions/{claim_id}/retrait").status_code == 303  # a second click
    assert "Votre demande a pris fin" in client.get("/mon-espace").get_data(as_text=True)
    client.post(f"/mon-espace/oppositions/{claim_id}/usages", data={"scope": "all"})
    assert [v.action for v in versions(app, CHILD)] == ["filed", "changed", "withdrawn", "refiled"]


def test_choosing_some_purposes_without_ticking_any_is_explained(client):
    login_with_client(client, "demo-marie-corse")
    page = client.post("/en/mon-espace/opposition", data={"nir": MARIE, "scope": "some", "confirm": "y"}).get_data(as_text=True)
    assert "Tick at least one purpose" in page


def test_a_proxy_files_for_a_child_with_the_birth_date_checked(app, client):
    login_with_client(client, "demo-julie-parent")
    form = {"proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2019", "scope": "all", "attest": "y"}
    page = client.post("/mon-espace/procuration", data=form).get_data(as_text=True).replace("&#39;", "'")
    assert "Ce numéro ne correspond pas à l'année de naissance indiquée" in page
    page = client.post("/en/mon-espace/procuration", data={**form, "birthdate-day": "31", "birthdate-month": "02", "birthdate-year": "2018"}).get_data(as_text=True)
    assert "The date of birth 31/02/2018 does not exist" in page
    assert client.post("/mon-espace/procuration", data={**form, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018"}).status_code == 303
    assert [(v.actor, v.proxy_for) for v in versions(app, CHILD)] == [("proxy", "minor")]
    space = client.get("/mon-espace").get_data(as_text=True).replace("&#39;", "'")
    assert "Enfant mineur" in space and "pas encore prouvé être la personne" in space


def test_another_account_cannot_touch_an_opposition_it_did_not_file(app, client):
    login_with_client(client, "demo-julie-parent")
    client.post("/mon-espace/procuration", data={"proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018", "scope": "all", "attest": "y"})
    link_id = re.search(r"/mon-espace/oppositions/(\d+)/retrait", client.get("/mon-espace").get_data(as_text=True)).group(1)
    other = app.test_client()
    login_with_client(other, "demo-karim-maroc")
    assert other.post(f"/mon-espace/oppositions/{link_id}/retrait").status_code == 404
    assert len(versions(app, CHILD)) == 1


def test_no_raw_number_reaches_a_table_or_the_logs(app, client, caplog):
    caplog.set_level("DEBUG")
    login_with_client(client, "demo-julie-parent")
    client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"})  # refused: not hers
    client.post("/mon-espace/opposition", data={"nir": JULIE, "scope": "all", "confirm": "y"})
    client.post("/mon-espace/procuration", data={"proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018", "scope": "some", "purposes": ["ai"], "attest": "y"})
    with app.app_context():
        leaks = find_leaks(db.session(), [JULIE.replace(" ", ""), CHILD.replace(" ", ""), MARIE.replace(" ", "")])
    assert leaks == [], "a table holds a raw number"
    logged = caplog.text.replace(" ", "")
    for nir in (JULIE, CHILD, MARIE):
        assert nir.replace(" ", "")[:13] not in logged, "the logs hold a raw number"
