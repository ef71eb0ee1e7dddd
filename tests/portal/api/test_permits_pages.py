"""Permits on the portal: ``flask registry permits ...``, the back-office register (registry
administrators only) and the public register of permits and exceptions, in French and English."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from portal.database import db
from registry.models import AuditEvent
from registry.permits import get_permit
from tests.portal.staff.conftest import admin, make_staff, sign_in  # noqa: F401  (fixtures)

TODAY = dt.date.today()
START, END = (TODAY - dt.timedelta(days=5)).isoformat(), (TODAY + dt.timedelta(days=300)).isoformat()


@pytest.fixture
def chu(runner) -> str:
    result = runner.invoke(args=["registry", "create-warehouse", "CHU de Test", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["client_id"]


def create(runner, chu, reference="HDH-2026-0042", *extra):
    return runner.invoke(args=["registry", "permits", "create", reference, "--title", "Cohorte diabète",
                               "--issuing-body", "Health Data Hub", "--purpose", "research", "--purpose", "statistics",
                               "--starts", START, "--ends", END, "--url", "https://example.org/hdh-2026-0042",
                               "--holder", chu, *extra])


def test_the_cli_creates_changes_and_lists_permits_with_audit_events(app, runner, chu):
    assert create(runner, chu).exit_code == 0
    changed = runner.invoke(args=["registry", "permits", "change", "HDH-2026-0042", "--exception-basis",
                                  "Règlement (UE) 2025/327, art. 71(4)", "--exception-reference", "DEC-1"])
    assert changed.exit_code == 0, changed.output
    listed = json.loads(runner.invoke(args=["registry", "permits", "list", "--json"]).output)
    assert [(p["reference"], p["purposes"], p["holders"], p["exception_reference"]) for p in listed] == [
        ("HDH-2026-0042", ["statistics", "research"], [chu], "DEC-1")]
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.actor == "cli")).all()
    assert actions == ["permit.created", "permit.changed"]


def test_a_cli_refusal_is_one_line_naming_the_option(runner, chu):
    result = create(runner, chu, "HDH-1", "--exception-basis", "Une loi")
    assert result.exit_code == 1 and "--exception-reference" in result.output and "Traceback" not in result.output
    result = create(runner, "rno_nobody", "HDH-2")
    assert result.exit_code == 1 and "--holder" in result.output


def form(chu, **changes):
    data = {"reference": "HDH-2026-7", "title": "Étude des parcours", "issuing_body": "CNIL",
            "purposes": ["research"], "starts_on": START, "ends_on": END, "url": "https://example.org/p",
            "holders": [chu], "exception_basis": "", "exception_reference": ""}
    data.update(changes)
    return data


def test_a_registry_admin_lists_creates_and_edits_permits(app, client, admin, chu):
    assert "Autorisations d'accès" in client.get("/staff/").get_data(as_text=True)
    response = client.post("/staff/autorisations/nouvelle", data=form(chu))
    assert response.status_code == 302
    page = client.get("/staff/autorisations").get_data(as_text=True)
    assert "HDH-2026-7" in page and "Étude des parcours" in page and "CHU de Test" in page
    edit = client.get("/staff/autorisations/HDH-2026-7/modifier")
    assert edit.status_code == 200 and "Étude des parcours" in edit.get_data(as_text=True)
    response = client.post("/staff/autorisations/HDH-2026-7/modifier", data=form(
        chu, title="Nouveau titre", exception_basis="Loi n° 2026-1, art. 3", exception_reference="DEC-9"))
    assert response.status_code == 302
    with app.app_context():
        permit = get_permit(db.session(), "HDH-2026-7")
        assert (permit.title, permit.exception_reference) == ("Nouveau titre", "DEC-9")
        actor = db.session().scalars(select(AuditEvent.actor).where(AuditEvent.action == "permit.changed")).one()
    assert actor.startswith("staff:")


@pytest.mark.parametrize(("changes", "message"), [
    ({"reference": "a b"}, "La référence comporte 1 à 64"),
    ({"title": ""}, "Saisissez le titre du projet."),
    ({"purposes": []}, "Cochez au moins un usage couvert."),
    ({"holders": []}, "Cochez au moins un entrepôt titulaire."),
    ({"holders": ["rno_forged"]}, "Cochez au moins un entrepôt titulaire."),
    ({"url": "javascript:alert(1)"}, "adresse commence par https://"),
    ({"ends_on": "2000-01-01"}, "La fin est le jour du début ou après."),
    ({"starts_on": "pas une date"}, "Saisissez la date de début"),
    ({"exception_basis": "Une loi"}, "Une exception a une base légale et une référence de décision"),
    ({"title": "x" * 301}, "Le titre comporte au plus 300 caractères."),
])
def test_every_form_error_is_named_and_nothing_is_kept(app, client, admin, chu, changes, message):
    response = client.post("/staff/autorisations/nouvelle", data=form(chu, **changes))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalars(select(AuditEvent).where(AuditEvent.action == "permit.created")).first() is None


def test_a_taken_reference_is_named_in_english_too(client, admin, chu):
    assert client.post("/staff/autorisations/nouvelle", data=form(chu)).status_code == 302
    response = client.post("/staff/autorisations/nouvelle", data=form(chu), headers={"Accept-Language": "en"})
    assert response.status_code == 422


def test_other_roles_and_strangers_cannot_reach_the_register(client, make_staff, sign_in, chu):
    assert client.get("/staff/autorisations").status_code == 302  # to the sign-in page
    sign_in(make_staff("agent"))
    assert client.get("/staff/autorisations").status_code == 403
    assert client.post("/staff/autorisations/nouvelle", data=form(chu)).status_code == 403


def test_an_unknown_or_malformed_reference_is_404(client, admin):
    assert client.get("/staff/autorisations/NOPE/modifier").status_code == 404
    assert client.get("/staff/autorisations/%00/modifier").status_code == 404


def test_the_public_register_lists_permits_and_exceptions_in_both_languages(client, runner, chu):
    assert create(runner, chu, "HDH-A").exit_code == 0
    assert create(runner, chu, "HDH-B", "--exception-basis", "Règlement (UE) 2025/327, art. 71(4)",
                  "--exception-reference", "DEC-2026-7").exit_code == 0
    french = client.get("/autorisations-d-acces").get_data(as_text=True)
    assert "HDH-A" in french and "DEC-2026-7" in french and "Règlement (UE) 2025/327" in french
    assert 'data-excluded>&lt;10' in french and 'data-excepted>&lt;10' in french
    english = client.get("/en/autorisations-d-acces")
    assert english.status_code == 200 and 'lang="en' in english.get_data(as_text=True)
