import html

import pytest
from sqlalchemy import select

from portal.database import db
from portal.keys import keyring
from registry.identifiers import parse_identifier
from registry.models import AuditEvent
from registry.oppositions import current_opposition, opposition_history
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir, spaced

NIR = make_nir(2, 85, 2, "2A", "004", 123)


def form(**overrides):
    data = {"identifier": spaced(NIR), "sex": "female", "birthdate": "1985-02-14",
            "channel": "counter", "request": "all"}
    data.update(overrides)
    return data


def state(app, nir=NIR):
    with app.app_context():
        return current_opposition(db.session(), keyring(), parse_identifier(nir))


def test_an_agent_files_for_a_person_and_gets_a_printable_receipt(app, client, agent):
    response = client.post("/staff/depot", data=form(channel="phone"))
    assert response.status_code == 302 and "/staff/recu/RNO-" in response.location
    receipt = client.get(response.location).get_data(as_text=True)
    current = state(app)
    assert current.active and current.purposes == list(Purpose)
    version = current.version
    assert (version.channel, version.actor) == ("phone", "agent")
    assert version.filed_by.startswith("staff:")
    assert version.receipt_reference in receipt and "Par téléphone" in receipt
    assert NIR not in receipt
    with app.app_context():
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "opposition.filed")).one()
    assert event.actor == version.filed_by and NIR not in event.details


def test_an_agent_changes_then_withdraws(app, client, agent):
    client.post("/staff/depot", data=form())
    client.post("/staff/depot", data=form(request="some", purposes=["ai", "research"], channel="post"))
    assert state(app).purposes == [Purpose.RESEARCH, Purpose.AI]
    response = client.post("/staff/depot", data=form(request="withdraw"))
    assert response.status_code == 302
    assert not state(app).active
    with app.app_context():
        history = opposition_history(db.session(), keyring(), parse_identifier(NIR))
    assert [v.action for v in history] == ["filed", "changed", "withdrawn"]
    assert {v.actor for v in history} == {"agent"}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"identifier": ""}, "Saisissez le numéro de sécurité sociale de la personne."),
    ({"identifier": NIR[:-2] + "00"}, "La clé (2 derniers chiffres) ne correspond pas au numéro"),
    ({"identifier": "12345"}, "Le numéro de sécurité sociale comporte 15 caractères"),
    ({"sex": "male"}, "Le sexe ne correspond pas au numéro de sécurité sociale."),
    ({"birthdate": "1986-02-14"}, "L'année de naissance ne correspond pas"),
    ({"birthdate": "1985-03-14"}, "Le mois de naissance ne correspond pas"),
    ({"birthdate": "pas une date"}, "Saisissez la date de naissance au format JJ/MM/AAAA."),
    ({"sex": ""}, "Indiquez le sexe de la personne."),
    ({"channel": "online"}, "Indiquez par quel canal"),
    ({"request": "some"}, "Cochez au moins une réutilisation refusée"),
    ({"request": "withdraw"}, "n'a pas d'opposition en cours"),
])
def test_each_refusal_is_explained_on_its_field_and_nothing_is_filed(app, client, agent, overrides, message):
    response = client.post("/staff/depot", data=form(**overrides))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in page, page[page.find("fr-error-text") - 200:page.find("fr-error-text") + 300]
    assert "fr-error-text" in page
    assert not state(app).active


def test_filing_the_same_request_twice_keeps_one_version(app, client, agent):
    first = client.post("/staff/depot", data=form()).location
    second = client.post("/staff/depot", data=form()).location
    assert first == second


def test_a_campaign_manager_cannot_file(client, make_staff, sign_in, app):
    sign_in(make_staff("campaign_manager"))
    assert client.post("/staff/depot", data=form()).status_code == 403
    assert not state(app).active


def test_the_receipt_needs_a_signed_in_agent(client, app, agent):
    location = client.post("/staff/depot", data=form()).location
    client.post("/staff/deconnexion")
    assert client.get(location).status_code == 302
