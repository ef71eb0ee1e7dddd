"""The counter's receipt as a PDF, made by the citizen receipt's generator: what the page says,
the agent named by role (never the account's number or address), no identifier, and only for an
agent signed in."""

from __future__ import annotations

import pytest

from portal.database import db
from portal.keys import keyring
from registry.identifiers import parse_identifier
from registry.oppositions import Filing, file_opposition
from tests.pdf_text import pdf_fonts, pdf_text
from tests.registry.nir_factory import make_nir, spaced

NIR = make_nir(2, 85, 2, "2A", "004", 123)


def form(**overrides) -> dict:
    data = {"identifier": spaced(NIR), "sex": "female", "birthdate-day": "14", "birthdate-month": "2",
            "birthdate-year": "1985", "channel": "counter", "request": "all"}
    data.update(overrides)
    return data


def receipt_pdf(client, **overrides):
    location = client.post("/staff/depot", data=form(**overrides)).location
    assert "/staff/recu/RNO-" in location
    return location.rsplit("/", 1)[1], client.get(location + ".pdf")


def test_the_counter_receipt_downloads_as_a_pdf_naming_the_agent_by_role(client, agent):
    reference, response = receipt_pdf(client, request="some", purposes=["research"], channel="phone")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="recepisse-{reference}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = " ".join(pdf_text(response.data).split())  # words as read, whatever the line breaks
    for shown in ("Récépissé de votre demande", reference, "Opposition enregistrée", "Par téléphone",
                  "Recherche scientifique", "Enregistrée par", "Agent d'accueil",
                  "Ce récépissé indique ce que cette demande ajoute."):
        assert shown in text, shown
    for hidden in ("staff:", agent, NIR, "l'agent"):
        assert hidden not in text
    assert all(font.startswith("DejaVuSans") for font in pdf_fonts(response.data))  # the one PDF helper's fonts


def test_a_withdrawal_at_the_counter_says_what_was_checked_and_that_nothing_is_left(client, agent):
    receipt_pdf(client)
    _reference, response = receipt_pdf(client, request="withdraw", evidence="y")
    text = " ".join(pdf_text(response.data).split())
    for shown in ("Opposition retirée", "Pièce d'identité vérifiée au guichet",
                  "Aucune : la personne ne s'oppose plus à aucune réutilisation."):
        assert shown in text, shown


def test_the_page_names_the_agent_by_role_and_links_to_the_pdf(client, agent):
    location = client.post("/staff/depot", data=form()).location
    page = client.get(location).get_data(as_text=True)
    assert "Agent d&#39;accueil" in page and "l&#39;agent staff:" not in page
    assert f'href="{location}.pdf"' in page


@pytest.mark.parametrize("role", [None, "campaign_manager"])
def test_the_pdf_is_for_a_signed_in_agent_only(app, client, make_staff, sign_in, role):
    email = make_staff("agent", "guichet@sante.gouv.fr")
    sign_in(email)
    location = client.post("/staff/depot", data=form()).location
    client.post("/staff/deconnexion")
    if role:
        sign_in(make_staff(role))
    assert client.get(location + ".pdf").status_code in ((302,) if role is None else (403,))


def test_a_citizens_receipt_has_no_counter_pdf(app, client, agent):
    with app.app_context():
        version = file_opposition(db.session(), keyring(), parse_identifier(NIR), None,
                                  Filing(channel="online", actor="self", filed_by="account:1"))
        db.session().commit()
        reference = version.receipt_reference
    assert client.get(f"/staff/recu/{reference}.pdf").status_code == 404
    assert client.get("/staff/recu/pas-une-reference.pdf").status_code == 404
