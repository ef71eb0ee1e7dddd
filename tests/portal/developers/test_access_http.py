"""Access requests through the pages: the public form explains each wrong field (fr/en) and is
rate-limited; only registry administrators review; an approval mails a link in the requester's
language that works once (opening it creates nothing); a refusal mails the reason; a mail that
cannot leave is said and recorded, and a new link can be sent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.database import db
from registry.access_requests import AccessRequest
from registry.audit import AuditEvent
from tests.mail_server import mail_server  # noqa: F401  (a shared fixture)
from tests.portal.staff.conftest import admin, agent, make_staff, sign_in  # noqa: F401  (shared fixtures)

FORM = {"organisation": "CHU d'Essai", "siret": "130 025 265 00013", "contact_email": "donnees@chu-essai.fr",
        "purposes": ["research"], "cohort_size": "12 000", "dpo_email": "dpo@chu-essai.fr"}


def submit(client, prefix="", **changes):
    return client.post(prefix + "/developpeurs/demande-acces", data={**FORM, **changes})


def stored(app) -> list[AccessRequest]:
    with app.app_context():
        return list(db.session().scalars(select(AccessRequest).order_by(AccessRequest.id)))


@pytest.mark.parametrize("prefix, changes, message", [
    ("", {"siret": "13002526500014"}, "Ce numéro SIRET n'est pas valide"),
    ("/en", {"siret": "13002526500014"}, "This SIRET number is not valid"),
    ("", {"cohort_size": "beaucoup"}, "Donnez un nombre entier de personnes entre 1 et 100 000 000."),
    ("/en", {"contact_email": "nope"}, "Enter a valid e-mail address"),
    ("", {"purposes": []}, "Cochez au moins une finalité."),
    ("", {"organisation": "Patient 2 85 02 2A 004 123 55"}, "numéro de sécurité sociale"),
])
def test_a_wrong_field_is_explained_and_nothing_is_kept(app, client, prefix, changes, message):
    response = submit(client, prefix, **changes)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert stored(app) == []


def test_a_request_is_kept_with_its_addresses_sealed(app, client):
    response = submit(client)
    assert response.status_code == 303 and response.location.endswith("/developpeurs/#identifiants")
    [kept] = stored(app)
    assert kept.cohort_size == 12000 and b"chu-essai" not in kept.contact_sealed + kept.dpo_sealed


def test_the_form_is_rate_limited(app, client):
    app.config["ACCESS_REQUEST_RATE_LIMIT"] = "2 per hour"
    assert [submit(client).status_code for _ in range(3)] == [303, 303, 429]


def test_only_registry_administrators_review_requests(client, agent):
    assert client.get("/staff/demandes-acces/").status_code == 403


@pytest.fixture
def mailing(app, mail_server):
    app.config.update(MAIL_SMTP_URL=mail_server.smtp_url, MAIL_FROM="Registre <ne-pas-repondre@example.fr>")
    return mail_server


def test_an_approval_mails_a_link_that_works_once(app, client, mailing, make_staff, sign_in):
    submit(client, "/en")
    [request] = stored(app)
    sign_in(make_staff("registry_admin"))
    page = client.get(f"/staff/demandes-acces/{request.id}").get_data(as_text=True)
    assert "donnees@chu-essai.fr" in page and "dpo@chu-essai.fr" in page
    response = client.post(f"/staff/demandes-acces/{request.id}/acceptation",
                           data={"scopes": ["lookup", "jobs"], "cohort_size": "12000"})
    assert response.status_code == 303
    [mail] = mailing.wait_for_mails(1)
    assert mail["subject"] == "Your access to the National opt-out registry's API"
    path = re.search(r"http://localhost(/en/developpeurs/identifiants/\S+)", mail["text"]).group(1)
    public = app.test_client()
    assert public.get(path).status_code == 200 and public.get(path).status_code == 200  # opening creates nothing
    shown = public.post(path)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert re.search(r"data-client-secret>[^<]{20,}<", shown.get_data(as_text=True))
    assert public.post(path).status_code == 410 and public.get(path).status_code == 410
    [request] = stored(app)
    assert request.status == "claimed" and request.client_id


def test_a_refusal_mails_the_reason(app, client, mailing, make_staff, sign_in):
    submit(client)
    [request] = stored(app)
    sign_in(make_staff("registry_admin"))
    client.post(f"/staff/demandes-acces/{request.id}/refus", data={"reason": "Le SIRET n'est pas celui du CHU."})
    [mail] = mailing.wait_for_mails(1)
    assert "Le SIRET n'est pas celui du CHU." in mail["text"]
    assert stored(app)[0].status == "refused"


def test_a_mail_that_cannot_leave_is_said_recorded_and_a_new_link_can_be_sent(app, client, mailing, make_staff,
                                                                              sign_in):
    submit(client)
    [request] = stored(app)
    sign_in(make_staff("registry_admin"))
    app.config["MAIL_SMTP_URL"] = None
    app.extensions.pop("mailer", None)
    response = client.post(f"/staff/demandes-acces/{request.id}/acceptation",
                           data={"scopes": ["lookup"], "cohort_size": "10"}, follow_redirects=True)
    assert "Le courriel n&#39;a pas pu être envoyé" in response.get_data(as_text=True)
    app.config["MAIL_SMTP_URL"] = mailing.smtp_url
    app.extensions.pop("mailer", None)
    client.post(f"/staff/demandes-acces/{request.id}/nouveau-lien")
    assert len(mailing.wait_for_mails(1)) == 1
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.target == f"access_request:{request.reference}").order_by(AuditEvent.seq)).all()
    assert actions[-4:] == ["access_request.mail_failed", "access_request.read", "access_request.link_issued",
                            "access_request.mail_sent"]
