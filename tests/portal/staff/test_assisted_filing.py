"""Assisted filing through HTTP, under the ownership rules (DESIGN.md section 4): an agent adds on
every channel and its answer never shows what was there before; narrowing or withdrawing speaks
for the person, only at the counter with the identity document checked or by post with its copy;
by phone an agent only adds."""

import html
import json
import re

import pytest
from sqlalchemy import select

from portal.database import db
from portal.keys import keyring
from portal.labels import PURPOSE_LABELS
from registry.identifiers import parse_identifier
from registry.models import AuditEvent, Claim, Subject
from registry.oppositions import Filing, current_opposition, file_opposition, opposition_history
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir, spaced

NIR = make_nir(2, 85, 2, "2A", "004", 123)
OTHER_NIR = make_nir(2, 85, 2, "2A", "004", 124)  # same sex and birth date, another person

ALL_OPPOSED = {p.code: True for p in Purpose}
EVIDENCE_MESSAGE = ("Pour réduire ou retirer une opposition, vérifiez la pièce d'identité de la personne "
                    "(au guichet) ou joignez sa copie (courrier).")
PHONE_MESSAGE = ("Par téléphone, un agent peut seulement ajouter des usages à une opposition : "
                 "invitez la personne à se rendre au guichet ou à écrire.")
ONLY_WHAT_IT_ADDS = ("Ce récépissé indique ce que cette demande ajoute. Il ne dit rien des autres demandes "
                     "éventuelles concernant cette personne.")


def form(**overrides):
    data = {"identifier": spaced(NIR), "sex": "female", "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985",
            "channel": "counter", "request": "all"}
    data.update(overrides)
    return data


def state(app, nir=NIR):
    with app.app_context():
        return current_opposition(db.session(), keyring(), parse_identifier(nir))


def history(app, nir=NIR):
    with app.app_context():
        versions = opposition_history(db.session(), keyring(), parse_identifier(nir))
        return [(v.action, v.channel, v.actor, v.evidence) for v in versions]


def claim_masks(app, nir=NIR) -> list[int]:
    """Every claim on the person, active or ended, as its purposes mask."""
    with app.app_context():
        session = db.session()
        digest = keyring().hasher.digest(parse_identifier(nir).value)
        subject = session.scalars(select(Subject).where(Subject.id_hash == digest)).one()
        return list(session.scalars(select(Claim.purposes_mask).where(Claim.subject_id == subject.id)))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_errors(page: str, field: str) -> list[str]:
    return re.findall(rf'<p id="{field}-erreur-\d+" class="fr-error-text">(.*?)</p>', page, re.S)


def labels_of(purposes) -> list[str]:
    return [str(PURPOSE_LABELS[p]) for p in purposes]


def opposed_by_lookup_api(app, nir=NIR) -> dict[str, bool]:
    """What a warehouse learns for this number, per purpose, from the lookup API."""
    app.extensions["lookup_recorder"].interval = 0  # each call writes its records: none left for the exit
    created = app.test_cli_runner().invoke(args=["registry", "create-warehouse", "Entrepôt de test", "--json"])
    assert created.exit_code == 0, created.output
    credentials = json.loads(created.output)
    api = app.test_client()
    token = api.post("/api/v1/token", data={"grant_type": "client_credentials"},
                     auth=(credentials["client_id"], credentials["client_secret"]))
    assert token.status_code == 200, token.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    answers = {}
    for purpose in Purpose:
        response = api.post("/api/v1/lookup", json={"purpose": purpose.code, "identifiers": [nir]}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        answers[purpose.code] = response.get_json()["results"][0]["opposed"]
    return answers


def file_online(app, nir=NIR, **filing) -> str:
    """A citizen's own filing, as the citizen portal writes it: its receipt reference."""
    with app.app_context():
        filing = Filing(**{"channel": "online", "actor": "self", "filed_by": "account:1", **filing})
        version = file_opposition(db.session(), keyring(), parse_identifier(nir), None, filing)
        db.session().commit()
        return version.receipt_reference


def test_an_agent_files_for_a_person_and_gets_a_printable_receipt(app, client, agent):
    response = client.post("/staff/depot", data=form(channel="phone"))
    assert response.status_code == 302 and "/staff/recu/RNO-" in response.location
    receipt = text(client.get(response.location))
    current = state(app)
    assert current.active and current.purposes == list(Purpose)
    version = current.version
    assert (version.channel, version.actor, version.evidence) == ("phone", "agent", None)
    assert version.filed_by.startswith("staff:")
    assert version.receipt_reference in receipt and "Par téléphone" in receipt
    assert all(label in receipt for label in labels_of(Purpose)) and ONLY_WHAT_IT_ADDS in receipt
    assert NIR not in receipt
    with app.app_context():
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "opposition.filed")).one()
    assert event.actor == version.filed_by and NIR not in event.details


def test_an_agent_adds_then_narrows_by_post_then_withdraws_at_the_counter_with_evidence(app, client, agent):
    client.post("/staff/depot", data=form())
    narrowed = client.post("/staff/depot", data=form(request="some", purposes=["ai", "research"], channel="post",
                                                    evidence="y"))
    assert narrowed.status_code == 302
    assert state(app).purposes == [Purpose.RESEARCH, Purpose.AI]
    response = client.post("/staff/depot", data=form(request="withdraw", evidence="y"))
    assert response.status_code == 302
    assert not state(app).active
    assert history(app) == [("filed", "counter", "agent", None), ("filed", "post", "agent", "identity_copy"),
                            ("withdrawn", "counter", "agent", "identity_document")]


def test_a_phone_withdrawal_is_refused_and_the_person_stays_opposed_for_every_purpose(app, client, agent):
    client.post("/staff/depot", data=form(channel="counter"))
    client.post("/staff/depot", data=form(channel="phone", request="some", purposes=["ai"]))
    for evidence in ({}, {"evidence": "y"}):  # ticking the box changes nothing by phone
        response = client.post("/staff/depot", data=form(channel="phone", request="withdraw", **evidence))
        page = text(response)
        assert response.status_code == 422
        assert field_errors(page, "request") == [PHONE_MESSAGE]
        assert "n'a pas d'opposition" not in page
    current = state(app)
    assert current.active and current.purposes == list(Purpose)
    assert opposed_by_lookup_api(app) == ALL_OPPOSED
    assert len(history(app)) == 2


def test_a_phone_filing_for_some_purposes_adds_to_an_opposition_to_all_and_its_receipt_shows_only_its_claim(
        app, client, agent):
    client.post("/staff/depot", data=form(channel="counter"))
    response = client.post("/staff/depot", data=form(channel="phone", request="some", purposes=["ai", "research"],
                                                     evidence="y"))
    assert response.status_code == 302
    assert state(app).purposes == list(Purpose)
    assert opposed_by_lookup_api(app) == ALL_OPPOSED
    receipt = text(client.get(response.location))
    shown = labels_of([Purpose.RESEARCH, Purpose.AI])
    assert all(label in receipt for label in shown)
    assert not any(label in receipt for label in labels_of(Purpose) if label not in shown)
    assert "Réutilisations refusées par cette demande" in receipt and ONLY_WHAT_IT_ADDS in receipt
    assert "Opposition en vigueur" not in receipt and "Au guichet" not in receipt
    assert history(app)[-1] == ("filed", "phone", "agent", None)


def test_a_counter_withdrawal_needs_the_identity_document_checked(app, client, agent):
    client.post("/staff/depot", data=form(channel="counter"))
    client.post("/staff/depot", data=form(channel="phone", request="some", purposes=["research"]))
    file_online(app)
    refused = client.post("/staff/depot", data=form(request="withdraw"))
    page = text(refused)
    assert refused.status_code == 422
    assert field_errors(page, "evidence") == [EVIDENCE_MESSAGE]
    assert 'aria-describedby="evidence-erreur-1"' in page or "evidence-erreur-1" in page
    assert state(app).purposes == list(Purpose) and len(history(app)) == 3

    accepted = client.post("/staff/depot", data=form(request="withdraw", evidence="y"))
    assert accepted.status_code == 302
    assert not state(app).active
    assert opposed_by_lookup_api(app) == {p.code: False for p in Purpose}
    assert set(claim_masks(app)) == {0} and len(claim_masks(app)) == 4  # the counter's, the phone's, the account's, the person's
    assert history(app)[-1] == ("withdrawn", "counter", "agent", "identity_document")
    receipt = text(client.get(accepted.location))
    assert "Pièce d'identité vérifiée au guichet" in receipt and "Opposition retirée" in receipt
    assert "Aucune : la personne ne s'oppose plus à aucune réutilisation." in receipt
    assert ONLY_WHAT_IT_ADDS not in receipt


def test_a_postal_filing_for_some_purposes_with_the_copy_sets_exactly_those_purposes(app, client, agent):
    client.post("/staff/depot", data=form(channel="counter"))
    client.post("/staff/depot", data=form(channel="phone", request="some", purposes=["ai"]))
    file_online(app)
    response = client.post("/staff/depot", data=form(channel="post", request="some", evidence="y",
                                                     purposes=["education", "research"]))
    assert response.status_code == 302
    assert state(app).purposes == [Purpose.EDUCATION, Purpose.RESEARCH]
    assert opposed_by_lookup_api(app) == {p.code: p in (Purpose.EDUCATION, Purpose.RESEARCH) for p in Purpose}
    assert sorted(claim_masks(app)) == [0, 0, 0, Purpose.EDUCATION.bit | Purpose.RESEARCH.bit]
    assert history(app)[-1][1:] == ("post", "agent", "identity_copy")
    receipt = text(client.get(response.location))
    assert "Copie de la pièce d'identité reçue" in receipt and "Opposition en vigueur après cette demande" in receipt
    assert all(label in receipt for label in labels_of([Purpose.EDUCATION, Purpose.RESEARCH]))
    assert str(PURPOSE_LABELS[Purpose.AI]) not in receipt


def test_a_postal_filing_for_some_purposes_without_the_copy_only_adds(app, client, agent):
    client.post("/staff/depot", data=form(channel="counter"))
    response = client.post("/staff/depot", data=form(channel="post", request="some", purposes=["ai"]))
    assert response.status_code == 302
    assert state(app).purposes == list(Purpose)
    assert history(app)[-1] == ("filed", "post", "agent", None)


def normalised(page: str, *references: str) -> str:
    """A page with what differs between two filings on their own account blanked: the receipt
    reference, the minute the filing was recorded, and the sign-out form's CSRF token (signed
    with the second it was made)."""
    for reference in references:
        page = page.replace(reference, "RNO-REFERENCE")
    page = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="CSRF"', page)
    return re.sub(r"\d{1,2} \w+ \d{4} \d{2}:\d{2}", "JJ MOIS AAAA HH:MM", page)


@pytest.mark.parametrize("channel", ["phone", "counter", "post"])
@pytest.mark.parametrize("request_", [{"request": "all"}, {"request": "some", "purposes": ["ai", "research"]}])
def test_a_strengthen_filing_answers_the_same_whether_or_not_the_person_was_already_opposed(
        app, client, agent, channel, request_):
    # the person of NIR already opposed: online by themself, and through another channel's agent
    file_online(app, NIR)
    other_channel = "post" if channel == "counter" else "counter"
    client.post("/staff/depot", data=form(channel=other_channel))
    client.get("/staff/depot")  # shows (and so ends) the sign-in's "Vous êtes connecté."
    answers = []
    for nir in (NIR, OTHER_NIR):  # OTHER_NIR: never filed, same sex and birth date
        response = client.post("/staff/depot", data=form(identifier=spaced(nir), channel=channel, **request_))
        assert response.status_code == 302
        reference = response.location.rsplit("/", 1)[1]
        receipt = client.get(response.location)
        answers.append((response.status_code, normalised(response.location, reference),
                        receipt.status_code, normalised(text(receipt), reference)))
    assert answers[0] == answers[1]
    page = answers[0][3]
    for revealing in ("déjà", "en vigueur, sans changement", "Opposition modifiée", "Opposition en vigueur"):
        assert revealing not in page
    assert state(app, NIR).purposes == list(Purpose)  # and nothing was taken from the person


def test_the_staff_receipt_of_a_citizens_filing_is_not_found(app, client, agent):
    own = file_online(app, NIR)
    proxy = file_online(app, OTHER_NIR, actor="proxy", proxy_for="protected_adult", filed_by="account:2")
    for reference in (own, proxy):
        assert client.get(f"/staff/recu/{reference}").status_code == 404
    agents = client.post("/staff/depot", data=form()).location
    assert client.get(agents).status_code == 200


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"identifier": ""}, "identifier", "Saisissez le numéro de sécurité sociale de la personne."),
    ({"identifier": NIR[:-2] + "00"}, "identifier", "La clé (2 derniers chiffres) ne correspond pas au numéro"),
    ({"identifier": "12345"}, "identifier", "Le numéro de sécurité sociale comporte 15 caractères"),
    ({"sex": "male"}, "sex", "Le sexe ne correspond pas au numéro de sécurité sociale."),
    ({"birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1986"}, "birthdate", "L'année de naissance ne correspond pas"),
    ({"birthdate-day": "14", "birthdate-month": "03", "birthdate-year": "1985"}, "birthdate", "Le mois de naissance ne correspond pas"),
    ({"birthdate-day": "pas", "birthdate-month": "02", "birthdate-year": "1985"}, "birthdate",
     "Le jour de la date de naissance s'écrit en chiffres"),
    ({"birthdate-day": "", "birthdate-month": "", "birthdate-year": ""}, "birthdate", "Saisissez la date de naissance"),
    ({"sex": ""}, "sex", "Indiquez le sexe de la personne."),
    ({"channel": "online"}, "channel", "Indiquez par quel canal"),
    ({"request": "some"}, "purposes", "Cochez au moins une réutilisation refusée"),
    ({"request": "some", "channel": "post", "evidence": "y"}, "purposes", "Cochez au moins une réutilisation refusée"),
    ({"request": "withdraw", "evidence": "y"}, "request", "n'a pas d'opposition en cours"),
    ({"request": "withdraw"}, "evidence", EVIDENCE_MESSAGE),
    ({"request": "withdraw", "channel": "post"}, "evidence", EVIDENCE_MESSAGE),
    ({"request": "withdraw", "channel": "phone", "evidence": "y"}, "request", PHONE_MESSAGE),
])
def test_each_refusal_is_explained_on_its_field_and_nothing_is_filed(app, client, agent, overrides, field, message):
    response = client.post("/staff/depot", data=form(**overrides))
    page = text(response)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(page, field)), \
        page[page.find("fr-error-text") - 200:page.find("fr-error-text") + 300]
    assert not state(app).active


def test_a_refused_narrowing_without_evidence_reveals_nothing_of_the_person(app, client, agent):
    """Without evidence, withdrawing is refused before the registry is read: the same answer
    whether or not the person is opposed."""
    file_online(app, NIR)
    client.get("/staff/depot")  # shows (and so ends) the sign-in's "Vous êtes connecté."
    pages = [normalised(text(client.post("/staff/depot", data=form(identifier=spaced(nir), request="withdraw"))))
             .replace(f'value="{spaced(nir)}"', 'value="NIR"')
             for nir in (NIR, OTHER_NIR)]
    assert pages[0] == pages[1]


def test_a_second_identical_filing_gets_its_own_receipt_and_shows_nothing_of_the_first(app, client, agent):
    # A channel is shared by every caller: answering with the first filing's receipt would tell
    # the second caller that someone had filed already.
    first = client.post("/staff/depot", data=form()).location
    second = client.post("/staff/depot", data=form()).location
    assert first != second
    assert first.rsplit("/", 1)[1] not in client.get(second).get_data(as_text=True)
    assert state(app).active


def test_a_campaign_manager_cannot_file(client, make_staff, sign_in, app):
    sign_in(make_staff("campaign_manager"))
    assert client.post("/staff/depot", data=form()).status_code == 403
    assert not state(app).active


def test_the_receipt_needs_a_signed_in_agent(client, app, agent):
    location = client.post("/staff/depot", data=form()).location
    client.post("/staff/deconnexion")
    assert client.get(location).status_code == 302
