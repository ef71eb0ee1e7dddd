"""The attacks on ownership, replayed through HTTP as a second account would make them: knowing a
person's number (and the birth date it shows) gives nothing of theirs, and the lookup API, over
real HTTP, still answers that they are opposed for every purpose afterwards."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from portal import create_app
from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import parse_identifier
from registry.models import OppositionVersion, Subject
from registry.oppositions import Filing, file_opposition
from registry.purposes import Purpose
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.e2e.conftest import LiveServer
from tests.oidc_provider import login_with_client

pytestmark = pytest.mark.db

MARIE, KARIM, JULIE, CHILD = (p.nir for p in DEMO_PEOPLE)
COUNTER = Filing(channel="counter", actor="agent", filed_by="staff:1")


@pytest.fixture
def app(database_url, oidc_provider, tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
        "FRANCECONNECT_ISSUER": oidc_provider.url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "API_RATE_LIMIT": "100000 per minute", "API_RECORD_INTERVAL": 0,
    })
    yield app
    db.dispose(app)


def counter_filing(app, nir: str) -> list[str]:
    """Marie's opposition to everything, filed at a counter: the receipt references it made."""
    with app.app_context():
        from portal.keys import keyring

        version = file_opposition(db.session(), keyring(), parse_identifier(nir), None, COUNTER)
        db.session().commit()
        return [version.receipt_reference]


def versions_of(app, nir: str) -> list[OppositionVersion]:
    with app.app_context():
        from portal.keys import keyring

        session = db.session()
        digest = keyring().hasher.digest(parse_identifier(nir).value)
        subject = session.scalars(select(Subject).where(Subject.id_hash == digest)).one_or_none()
        if subject is None:
            return []
        rows = session.scalars(select(OppositionVersion).where(OppositionVersion.subject_id == subject.id)
                               .order_by(OppositionVersion.version)).all()
        session.expunge_all()
        return rows


def opposed_by_lookup_api(app, nir: str) -> dict[str, bool]:
    """What a warehouse learns for this number, per purpose, over real HTTP."""
    runner = app.test_cli_runner()
    import json

    created = runner.invoke(args=["registry", "create-warehouse", "Entrepôt de test", "--json"])
    credentials = json.loads(created.output)
    with LiveServer(app) as server:
        token = requests.post(server.url + "/api/v1/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"]), timeout=30).json()["access_token"]
        answers = {}
        for purpose in Purpose:
            response = requests.post(server.url + "/api/v1/lookup", json={"purpose": purpose.code, "identifiers": [nir]},
                                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert response.status_code == 200, response.text
            answers[purpose.code] = response.json()["results"][0]["opposed"]
    return answers


def page(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("scope", [{"scope": "all"}, {"scope": "some", "purposes": ["ai"]}])
def test_a_stranger_filing_as_a_protected_adults_proxy_gets_only_its_own_claim(app, client, prefix, scope):
    victim_receipts = counter_filing(app, MARIE)
    login_with_client(client, "demo-karim-maroc")
    form = {"proxy_for": "protected_adult", "nir": MARIE, "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985", "attest": "y", **scope}
    answer = client.post(f"{prefix}/mon-espace/procuration", data=form)
    assert answer.status_code == 303
    own_reference = answer.headers["Location"].rsplit("/", 1)[1]
    assert own_reference not in victim_receipts
    receipt = page(client.get(answer.headers["Location"]))
    for reference in victim_receipts:
        assert reference not in receipt
        assert client.get(f"{prefix}/mon-espace/recus/{reference}").status_code == 404
        assert client.get(f"{prefix}/mon-espace/recus/{reference}.pdf").status_code == 404
    space = page(client.get(f"{prefix}/mon-espace"))
    export = page(client.get(f"{prefix}/mon-espace/mes-donnees.json"))
    for reference in victim_receipts:
        assert reference not in space and reference not in export
    assert "counter" not in export and "Au guichet" not in space and "At the counter" not in space
    # the stranger withdraws what it can reach: its own claim only
    claim_id = re.search(r"/mon-espace/oppositions/(\d+)/retrait", space).group(1)
    assert client.post(f"{prefix}/mon-espace/oppositions/{claim_id}/retrait").status_code == 303
    assert opposed_by_lookup_api(app, MARIE) == {p.code: True for p in Purpose}
    assert [v.purposes_mask for v in versions_of(app, MARIE)] == [255, 255, 255]


def test_a_stranger_filing_as_a_minors_proxy_for_an_adult_is_refused(app, client):
    counter_filing(app, MARIE)
    login_with_client(client, "demo-karim-maroc")
    form = {"proxy_for": "minor", "nir": MARIE, "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985", "scope": "some", "purposes": ["ai"],
            "attest": "y"}
    answer = client.post("/mon-espace/procuration", data=form)
    assert answer.status_code == 200
    assert "18 ans ou plus" in page(answer)
    english = client.post("/en/mon-espace/procuration", data=form)
    assert "18 or over" in page(english)
    assert len(versions_of(app, MARIE)) == 1
    assert opposed_by_lookup_api(app, MARIE) == {p.code: True for p in Purpose}


def test_a_filing_for_fewer_purposes_never_narrows_someone_elses_opposition(app, client):
    counter_filing(app, MARIE)
    login_with_client(client, "demo-karim-maroc")
    form = {"proxy_for": "protected_adult", "nir": MARIE, "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985", "attest": "y",
            "scope": "some", "purposes": ["ai"]}
    client.post("/mon-espace/procuration", data=form)
    claim_id = re.search(r"/mon-espace/oppositions/(\d+)/usages", page(client.get("/mon-espace"))).group(1)
    change = client.get(f"/mon-espace/oppositions/{claim_id}/usages")
    assert 'value="ai" checked' in page(change) or "checked" in page(change)
    assert client.post(f"/mon-espace/oppositions/{claim_id}/usages", data={"scope": "some", "purposes": ["research"]}).status_code == 303
    assert opposed_by_lookup_api(app, MARIE) == {p.code: True for p in Purpose}


def test_another_accounts_claim_cannot_be_opened_changed_or_withdrawn(app, client):
    login_with_client(client, "demo-julie-parent")
    client.post("/mon-espace/procuration", data={"proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018",
                                                 "scope": "all", "attest": "y"})
    claim_id = re.search(r"/mon-espace/oppositions/(\d+)/retrait", page(client.get("/mon-espace"))).group(1)
    other = app.test_client()
    login_with_client(other, "demo-karim-maroc")
    assert other.get(f"/mon-espace/oppositions/{claim_id}/usages").status_code == 404
    assert other.post(f"/mon-espace/oppositions/{claim_id}/usages", data={"scope": "some", "purposes": ["ai"]}).status_code == 404
    assert other.post(f"/mon-espace/oppositions/{claim_id}/retrait").status_code == 404
    assert other.get("/mon-espace/mon-opposition/retrait").status_code == 404  # not a proved person
    assert len(versions_of(app, CHILD)) == 1


def test_a_parent_does_not_see_a_childs_opposition_filed_at_a_counter(app, client):
    counter_receipts = counter_filing(app, CHILD)
    login_with_client(client, "demo-julie-parent")
    answer = client.post("/mon-espace/procuration", data={"proxy_for": "minor", "nir": CHILD, "birthdate-day": "09", "birthdate-month": "03", "birthdate-year": "2018",
                                                          "scope": "some", "purposes": ["ai"], "attest": "y"})
    assert answer.status_code == 303
    receipt = page(client.get(answer.headers["Location"]))
    assert "Demande enregistrée" in receipt and "Recherche scientifique" not in receipt
    space = page(client.get("/mon-espace"))
    assert counter_receipts[0] not in space and "Au guichet" not in space


def test_self_filing_with_a_number_born_in_another_departement_is_refused(app, client):
    login_with_client(client, "test-nee-a-paris")
    for prefix, words in (("", "département"), ("/en", "département")):
        answer = client.post(f"{prefix}/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"})
        assert answer.status_code == 200
        assert words in page(answer)
    assert versions_of(app, MARIE) == []


def test_self_filing_with_a_number_born_abroad_by_someone_born_in_france_is_refused(app, client):
    login_with_client(client, "test-ne-en-france")
    answer = client.post("/mon-espace/opposition", data={"nir": KARIM, "scope": "all", "confirm": "y"})
    assert answer.status_code == 200 and "pays" in page(answer)
    assert versions_of(app, KARIM) == []


def test_a_commune_that_cannot_be_matched_gives_a_claim_that_only_strengthens(app, client):
    receipts = counter_filing(app, MARIE)
    login_with_client(client, "test-nee-a-bastia")
    answer = client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "some", "purposes": ["ai"], "confirm": "y"})
    assert answer.status_code == 303
    assert "guichet" in page(client.get(answer.headers["Location"]))
    space = page(client.get("/mon-espace"))
    assert receipts[0] not in space and "non vérifiée" in space
    assert client.get("/mon-espace/mon-opposition/retrait").status_code == 404
    assert opposed_by_lookup_api(app, MARIE) == {p.code: True for p in Purpose}


def test_a_twin_cannot_become_the_person_and_the_person_sees_the_attempt(app, client):
    login_with_client(client, "demo-marie-corse")
    assert client.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "all", "confirm": "y"}).status_code == 303
    twin = app.test_client()
    login_with_client(twin, "test-marie-jumelle")
    answer = twin.post("/mon-espace/opposition", data={"nir": MARIE, "scope": "some", "purposes": ["ai"], "confirm": "y"})
    assert answer.status_code == 303
    twin_space = page(twin.get("/mon-espace"))
    marie_receipt = versions_of(app, MARIE)[0].receipt_reference
    assert marie_receipt not in twin_space
    assert twin.get("/mon-espace/mon-opposition/retrait").status_code == 404
    assert twin.post("/mon-espace/mon-opposition/retrait").status_code == 404
    marie_space = page(client.get("/mon-espace"))
    assert "a essayé de prouver être vous" in marie_space
    assert opposed_by_lookup_api(app, MARIE) == {p.code: True for p in Purpose}


def test_the_person_finds_a_counter_opposition_without_filing_and_sees_its_history(app, client):
    receipts = counter_filing(app, MARIE)
    login_with_client(client, "demo-marie-corse")
    assert receipts[0] not in page(client.get("/mon-espace"))
    answer = client.post("/mon-espace/retrouver", data={"nir": MARIE})
    assert answer.status_code == 303
    space = page(client.get("/mon-espace"))
    assert receipts[0] in space and "Au guichet" in space
    assert len(versions_of(app, MARIE)) == 1  # nothing filed
    assert client.get(f"/mon-espace/recus/{receipts[0]}").status_code == 200


def test_the_person_supersedes_every_claim_and_the_stranger_is_told_its_claim_ended(app, client):
    counter_filing(app, MARIE)
    stranger = app.test_client()
    login_with_client(stranger, "demo-karim-maroc")
    stranger.post("/mon-espace/procuration", data={"proxy_for": "protected_adult", "nir": MARIE,
                                                   "birthdate-day": "14", "birthdate-month": "02", "birthdate-year": "1985", "scope": "all", "attest": "y"})
    login_with_client(client, "demo-marie-corse")
    client.post("/mon-espace/retrouver", data={"nir": MARIE})
    space = page(client.get("/mon-espace"))
    assert "Un représentant légal" in space  # the person sees who else filed about her
    assert "Demande d'un tiers ajoutée" in space  # a change to that request, not to her opposition
    stranger_claim = re.search(r"/mon-espace/oppositions/(\d+)/retrait", page(stranger.get("/mon-espace"))).group(1)
    assert stranger.post(f"/mon-espace/oppositions/{stranger_claim}/retrait").status_code == 303
    space = page(client.get("/mon-espace"))
    assert "Demande d'un tiers retirée" in space and "Opposition retirée" not in space
    assert stranger.post(f"/mon-espace/oppositions/{stranger_claim}/usages", data={"scope": "all"}).status_code == 303
    assert client.post("/mon-espace/mon-opposition/usages", data={"scope": "some", "purposes": ["research"]}).status_code == 303
    answers = opposed_by_lookup_api(app, MARIE)
    assert answers == {p.code: p is Purpose.RESEARCH for p in Purpose}
    assert "la personne concernée a elle-même fixé son opposition" in page(stranger.get("/mon-espace")).lower()
