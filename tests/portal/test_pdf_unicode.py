"""Every PDF the portal makes (receipt, "my data" export, paper form, attestation) prints names
and texts whole in any script: the DejaVu font is embedded, never a Latin-1 core font that turns
"Łukasz" into "?ukasz". Each PDF is fetched through its route and read back with pypdf."""

import re
import unicodedata

import pytest

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import parse_identifier
from registry.purposes import Purpose
from registry.transparency import record_applications
from registry.warehouses import create_warehouse, get_warehouse
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import login_with_client
from tests.pdf_text import pdf_fonts, pdf_pages, pdf_text
from tests.prosanteconnect import DEMO_PROFESSIONAL, OidcProvider, callback_path, psc_config

NAME = "Łukasz Nguyễn"
MARIE = DEMO_PEOPLE[0].nir
PRACTICE = {**DEMO_PROFESSIONAL["SubjectRefPro"]["exercices"][0], "prenomDexercice": "Łukasz", "nomDexercice": "Nguyễn"}
PROFESSIONAL = {**DEMO_PROFESSIONAL, "sub": "psc-unicode-name",
                "SubjectRefPro": {**DEMO_PROFESSIONAL["SubjectRefPro"], "exercices": [PRACTICE]}}


@pytest.fixture(scope="module")
def psc_provider():
    provider = OidcProvider([PROFESSIONAL])
    try:
        provider.wait_until_ready()
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def app(database_url, oidc_provider, psc_provider):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
        "FRANCECONNECT_ISSUER": oidc_provider.url,
        # decomposed (a letter, then its accents), as some keyboards type it: printed composed
        "POSTAL_ADDRESS": unicodedata.normalize("NFD", f"{NAME}, 1 rue de Łódź, 75001 Paris"),
        **psc_config(psc_provider),
    })
    yield app
    db.dispose(app)


def assert_whole(data: bytes, *expected: str) -> str:
    """Each text is in the PDF as written, no letter became "?", and only DejaVu is embedded."""
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for part in expected:
        assert part in text, part
    assert not re.search(r"\w\?|\?\w", text), "a letter was replaced by '?'"
    assert pdf_fonts(data) and all(font.startswith("DejaVu") for font in pdf_fonts(data)), pdf_fonts(data)
    return text


def test_the_receipt_prints_its_accents_whole_in_an_embedded_unicode_font(client):
    login_with_client(client, "demo-marie-corse")
    location = client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"}).headers["Location"]
    reference = location.rsplit("/", 1)[1]
    assert_whole(client.get(location + ".pdf").data, reference, "RÉPUBLIQUE", "FRANÇAISE", "Récépissé de votre demande",
                 "Personne concernée", "Vous-même", "Usages auxquels la personne")


def test_the_my_data_export_prints_a_warehouse_name_in_any_script_whole(app, client):
    warehouse_name = f"Entrepôt {NAME}"
    login_with_client(client, "demo-marie-corse")
    assert client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"}).status_code == 303
    with app.app_context():
        from portal.keys import keyring

        session = db.session()
        warehouse = get_warehouse(session, create_warehouse(session, warehouse_name).client_id)
        digest = keyring().hasher.digest(parse_identifier(MARIE).value)
        record_applications(session, warehouse.id, [digest], Purpose.RESEARCH)
        session.commit()
    assert_whole(client.get("/mon-espace/mes-donnees.pdf").data, warehouse_name, "Mes données")


def test_the_paper_form_prints_the_postal_address_whole(client):
    assert_whole(client.get("/aide/formulaire-papier.pdf").data, NAME, "Łódź", "Formulaire d'opposition", "Cadre réservé à l'administration")


@pytest.mark.parametrize(("path", "heading", "field"), [
    ("/aide/formulaire-papier.pdf", "6. Date et signature", "Date et signature"),
    ("/en/aide/formulaire-papier.pdf", "6. Date and signature", "Date and signature"),
])
def test_the_paper_forms_signature_heading_is_kept_with_its_field(client, path, heading, field):
    pages = pdf_pages(client.get(path).data)
    [page] = [page for page in pages if heading in page]
    after = page.split(heading, 1)[1].strip()
    assert after.startswith(field), after[:80]


def test_the_attestation_prints_the_professionals_name_whole(client, psc_provider):
    response = client.get("/pro/connexion")
    client.get(callback_path(psc_provider.authorize(response.location, PROFESSIONAL["sub"])))
    module = "/modules/informer-patient"
    client.post(module + "/pre-test", data={"q_pre_role": "true", "q_pre_ou": "a"})
    client.get(module + "/lecons/expliquer")
    from campaigns.modules import default_catalogue
    from portal.learning.forms import field_name

    drawn = set(re.findall(r'name="(q_[^"]+)"', client.get(module + "/quiz").get_data(as_text=True)))
    right = {field_name(q): sorted(q.correct_ids)
             for q in default_catalogue().get("informer-patient", "fr").questions if field_name(q) in drawn}
    assert client.post(module + "/quiz", data=right).status_code == 302
    result = client.get(module + "/resultat").get_data(as_text=True)
    code = re.search(r"([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", result).group(1)
    assert_whole(client.get(f"/pro/attestations/{code.replace('-', '')}.pdf").data, NAME, "Attestation de formation",
                 "République française", code)


def test_missing_fonts_name_the_set_up_command(monkeypatch, tmp_path):
    from portal import pdf

    monkeypatch.setattr(pdf, "FONT_FOLDERS", (tmp_path,))
    pdf.font_folder.cache_clear()
    try:
        with pytest.raises(pdf.PdfFontsMissing, match="ensure_node_modules"):
            pdf.Document("Récépissé")
    finally:
        pdf.font_folder.cache_clear()
