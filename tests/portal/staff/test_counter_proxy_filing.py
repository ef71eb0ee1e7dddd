"""An agent files for a child or a protected adult at their parent's or legal representative's
request, as the paper form offers: the rules of a proxy online (the full birth date agrees with
the number and with whom it is for; the request only adds), the representative's relation and
documents checked at the counter or by post, an audited version that says whom it was for, and
a receipt that names nobody but the role of the agent."""

import html
import json
import re

import pytest
from sqlalchemy import select

from portal.database import db
from portal.keys import keyring
from registry.audit import verify_chain
from registry.identifiers import parse_identifier
from registry.models import AuditEvent, Claim
from registry.oppositions import Filing, current_opposition, file_opposition, opposition_history
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir, spaced

CHILD = make_nir(1, 18, 3, "69", "123", 45)  # a boy born in March 2018
ADULT = make_nir(2, 85, 2, "2A", "004", 123)  # a woman born in February 1985
CHILD_BIRTH = {"birthdate-day": "9", "birthdate-month": "3", "birthdate-year": "2018"}
ADULT_BIRTH = {"birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985"}


def for_child(**overrides) -> dict:
    data = {"filed_for": "minor", "identifier": spaced(CHILD), "sex": "male", **CHILD_BIRTH, "channel": "counter",
            "request": "all", "representative": "parent", "representative_attests": "y",
            "representative_checked": "y"}
    data.update(overrides)
    return data


def for_adult(**overrides) -> dict:
    return for_child(**{"filed_for": "protected_adult", "identifier": spaced(ADULT), "sex": "female",
                        **ADULT_BIRTH, "representative": "guardian", **overrides})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_errors(page: str, field: str) -> list[str]:
    return re.findall(rf'<p id="{field}-erreur-\d+" class="fr-error-text">(.*?)</p>', page, re.S)


def versions(app, nir):
    with app.app_context():
        return [(v.action, v.channel, v.actor, v.proxy_for, v.evidence)
                for v in opposition_history(db.session(), keyring(), parse_identifier(nir))]


def filing_event(app, reference: str) -> dict:
    with app.app_context():
        for details in db.session().scalars(select(AuditEvent.details).where(AuditEvent.action.like("opposition.%"))):
            parsed = json.loads(details)
            if parsed.get("receipt") == reference:
                return parsed
    raise AssertionError("no audit event for this receipt")


def test_a_parent_files_for_her_child_at_the_counter(app, client, agent):
    response = client.post("/staff/depot", data=for_child())
    assert response.status_code == 302 and "/staff/recu/RNO-" in response.location
    reference = response.location.rsplit("/", 1)[1]
    assert versions(app, CHILD) == [("filed", "counter", "agent", "minor", None)]
    with app.app_context():
        claim = db.session().scalars(select(Claim)).one()
        assert (claim.relation, claim.proxy_for, claim.purposes) == ("agent", "minor", list(Purpose))
        assert verify_chain(db.session()).ok
    event = filing_event(app, reference)
    assert (event["representative"], event["representative_checked"]) == ("parent", "representative_documents")
    assert event["proxy_for"] == "minor" and CHILD not in json.dumps(event)
    page = text(client.get(response.location))
    for shown in ("Opposition enregistrée", "Enfant mineur", "Parent", "Agent d'accueil",
                  "Pièce d'identité du représentant et justificatif de sa qualité vérifiés au guichet"):
        assert shown in page
    receipt = page[page.index('<article class="staff-receipt">'):page.index("</article>")]
    assert "staff:" not in receipt and agent not in receipt


def test_a_guardian_files_for_a_protected_adult_by_post_and_a_parent_by_phone(app, client, agent):
    response = client.post("/staff/depot", data=for_adult(channel="post", request="some", purposes=["ai", "research"]))
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Majeur protégé" in page and "Tuteur ou tutrice" in page
    assert "Copies de la pièce d'identité du représentant et du justificatif de sa qualité reçues" in page
    with app.app_context():
        assert current_opposition(db.session(), keyring(), parse_identifier(ADULT)).purposes == [
            Purpose.RESEARCH, Purpose.AI]
    # by phone nothing can be checked: the representative's word is recorded as such
    response = client.post("/staff/depot", data=for_child(channel="phone", representative_checked=""))
    assert response.status_code == 302
    assert "Attestation sur l'honneur du représentant, par téléphone" in text(client.get(response.location))
    assert filing_event(app, response.location.rsplit("/", 1)[1])["representative_checked"] is None


def test_a_representatives_request_only_adds_to_what_the_person_holds(app, client, agent):
    with app.app_context():  # the person (now of age) opposed to everything, by themself
        file_opposition(db.session(), keyring(), parse_identifier(ADULT), None,
                        Filing(channel="online", actor="self", filed_by="account:1"))
        db.session().commit()
    response = client.post("/staff/depot", data=for_adult(request="some", purposes=["ai"]))
    assert response.status_code == 302
    with app.app_context():
        assert current_opposition(db.session(), keyring(), parse_identifier(ADULT)).purposes == list(Purpose)
    page = text(client.get(response.location))
    assert "Opposition en vigueur" not in page and "Opposition modifiée" not in page  # shows nothing of before


AGE_ADULT = "D'après sa date de naissance, la personne a 18 ans ou plus"
AGE_MINOR = "D'après sa date de naissance, la personne a moins de 18 ans"


@pytest.mark.parametrize(("data", "field", "message"), [
    (for_child(filed_for="protected_adult", representative="guardian"), "birthdate", AGE_MINOR),
    (for_adult(filed_for="minor", representative="parent"), "birthdate", AGE_ADULT),
    (for_child(**{"birthdate-month": "4"}), "birthdate", "Le mois de naissance ne correspond pas"),
    (for_child(representative=""), "representative", "Indiquez la qualité du représentant"),
    (for_child(representative="curator"), "representative", "Cette qualité ne convient pas"),
    (for_adult(representative="parent"), "representative", "Cette qualité ne convient pas"),
    (for_child(representative_attests=""), "representative_attests", "Le représentant doit attester"),
    (for_child(representative_checked=""), "representative_checked", "Au guichet, vérifiez la pièce d'identité du représentant"),
    (for_adult(channel="post", representative_checked=""), "representative_checked", "par courrier, leurs copies"),
    (for_child(request="withdraw"), "request", "un agent peut seulement ajouter des usages"),
    (for_child(request="some", evidence="y", purposes=["ai"]), "evidence", "Cette case vaut pour une personne"),
    (for_child(request="some"), "purposes", "Cochez au moins une réutilisation refusée"),
])
def test_each_refusal_is_explained_on_its_field_and_nothing_is_filed(app, client, agent, data, field, message):
    response = client.post("/staff/depot", data=data)
    page = text(response)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(page, field)), field_errors(page, field)
    assert versions(app, CHILD) == [] and versions(app, ADULT) == []


def test_the_messages_read_in_english_too(app):
    """The back-office is served in French; its messages are translated like every other."""
    from portal.staff.filing import AGE_MESSAGES
    from portal.staff.forms import AssistedFilingForm

    with app.test_request_context("/en/"):
        assert str(AGE_MESSAGES["minor_is_adult"]).startswith("According to their date of birth, the person is 18 or over")
        assert str(AssistedFilingForm.representative.args[0]) == "The representative is"


def test_the_representative_fields_are_ignored_when_the_person_asks_for_themself(app, client, agent):
    response = client.post("/staff/depot", data=for_adult(filed_for="self", representative="parent"))
    assert response.status_code == 302
    assert versions(app, ADULT) == [("filed", "counter", "agent", None, None)]
