"""The contact inbox for agents, through the pages: list, read, mark handled, reply by e-mail to
a real SMTP server (maildev), a failed sending kept and sent again, the board's count."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.database import db
from registry.contact import ContactMessage, ContactReply
from registry.models import AuditEvent
from tests.mail_server import MailServer, free_port, mail_server  # noqa: F401  (a shared fixture)


def send_contact(client, topic="accessibility", body="Le bouton Envoyer ne se lit pas au lecteur d'écran.",
                 email="lea.martin@example.fr", path="/aide/contact"):
    assert client.post(path, data={"topic": topic, "body": body, "email": email}).status_code == 303


def messages(app):
    with app.app_context():
        return db.session().scalars(select(ContactMessage).order_by(ContactMessage.id)).all()


def replies(app):
    with app.app_context():
        return db.session().scalars(select(ContactReply).order_by(ContactReply.id)).all()


def audit_actions(app):
    with app.app_context():
        return [(e.action, e.target, e.details) for e in db.session().scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("contact.")).order_by(AuditEvent.seq))]


def test_only_agents_see_the_inbox(client, make_staff, sign_in):
    assert client.get("/staff/messages").status_code == 302  # to the sign-in page
    sign_in(make_staff("campaign_manager"))
    assert client.get("/staff/messages").status_code == 403
    assert client.get("/staff/messages/1").status_code == 403


def test_the_inbox_lists_unhandled_messages_first_without_their_content(app, client, agent):
    send_contact(client, topic="question", body="Première question", email="")
    send_contact(client, body="Plainte d'accessibilité")
    page = client.get("/staff/messages").get_data(as_text=True)
    assert "Première question" not in page and "lea.martin" not in page
    rows = re.findall(r'<tr data-message="(\d+)">(.*?)</tr>', page, re.S)
    assert [number for number, _ in rows] == [str(m.id) for m in messages(app)]
    assert all("À traiter" in row and "aujourd'hui" in row for _, row in rows)
    assert "Messages reçus" in client.get("/staff/").get_data(as_text=True)  # in the staff menu
    assert audit_actions(app) == []  # the list shows no content: not audited


def test_an_agent_reads_a_message_and_its_reading_is_audited_without_its_content(app, client, agent):
    send_contact(client, body="Ligne un\nLigne deux")
    [message] = messages(app)
    page = client.get(f"/staff/messages/{message.id}").get_data(as_text=True)
    assert "Ligne un<br>Ligne deux" in page and "Accessibilité" in page
    assert "lea.martin" not in page  # the address stays sealed, never shown
    [(action, target, details)] = audit_actions(app)
    assert (action, target) == ("contact.read", f"contact:{message.id}") and "Ligne" not in details
    assert client.get("/staff/messages/999999").status_code == 404
    assert client.get("/staff/messages/99999999999").status_code == 404


def test_an_agent_marks_a_message_handled_without_replying(app, client, agent):
    send_contact(client, email="")
    [message] = messages(app)
    page = client.get(f"/staff/messages/{message.id}").get_data(as_text=True)
    assert "on ne peut pas lui répondre personnellement" in page and "Envoyer la réponse" not in page
    response = client.post(f"/staff/messages/{message.id}/traite")
    assert response.status_code == 303
    assert "Le message est marqué comme traité." in client.get("/staff/messages").get_data(as_text=True)
    assert messages(app)[0].handled_at is not None
    assert [a for a, _, _ in audit_actions(app)] == ["contact.read", "contact.handled"]


@pytest.fixture
def mail_app(app, mail_server):
    app.config.update(MAIL_SMTP_URL=mail_server.smtp_url, MAIL_FROM="Registre <ne-pas-repondre@example.fr>")
    return app


@pytest.mark.parametrize(("path", "subject"), [
    ("/aide/contact", "Réponse à votre message au Registre national d'opposition"),
    ("/en/aide/contact", "Reply to your message to the National opt-out registry"),
])
def test_a_reply_reaches_the_person_in_the_language_of_their_page_and_handles_the_message(
        mail_app, client, agent, mail_server, path, subject):
    send_contact(client, path=path)
    [message] = messages(mail_app)
    response = client.post(f"/staff/messages/{message.id}/reponse", data={"body": "Bonjour,\nC'est corrigé. Merci !"})
    assert response.status_code == 303 and response.location.endswith("/staff/messages")
    [mail] = mail_server.wait_for_mails(1)
    assert mail["subject"] == subject and [to["address"] for to in mail["to"]] == ["lea.martin@example.fr"]
    assert mail["text"].startswith("Bonjour,\nC'est corrigé. Merci !\n")
    [reply] = replies(mail_app)
    assert reply.sent_at is not None and messages(mail_app)[0].handled_at is not None
    assert "Votre réponse a été envoyée" in client.get("/staff/messages").get_data(as_text=True)
    events = audit_actions(mail_app)
    assert [a for a, _, _ in events] == ["contact.reply_written", "contact.reply_sent", "contact.handled"]
    assert not any("lea.martin" in (d or "") or "corrigé" in (d or "") for _, _, d in events)


def test_a_reply_that_cannot_be_sent_is_kept_shown_as_not_sent_and_sent_again_later(app, client, agent, caplog):
    relay = MailServer(smtp_port=free_port())  # not started yet: the relay is down
    app.config.update(MAIL_SMTP_URL=relay.smtp_url, MAIL_FROM="registre@example.fr", MAIL_TIMEOUT=2)
    send_contact(client)
    [message] = messages(app)
    response = client.post(f"/staff/messages/{message.id}/reponse", data={"body": "Réponse importante"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Votre réponse n&#39;a pas pu être envoyée : Le serveur de courriel ne répond pas." in page
    assert "Pas envoyée" in page and "Réessayer l'envoi" in page and "Réponse importante" in page
    [reply] = replies(app)
    assert (reply.sent_at, reply.last_failure, reply.attempts) == (None, "unreachable", 1)
    assert messages(app)[0].handled_at is None
    assert not any("lea.martin" in record.getMessage() for record in caplog.records)
    with relay:  # the relay is back
        response = client.post(f"/staff/messages/{message.id}/reponses/{reply.id}/envoi")
        assert response.status_code == 303
        [mail] = relay.wait_for_mails(1)
    assert mail["text"].startswith("Réponse importante")
    [reply] = replies(app)
    assert reply.sent_at is not None and reply.attempts == 2 and messages(app)[0].handled_at is not None
    # sending again a reply already sent sends nothing
    assert client.post(f"/staff/messages/{message.id}/reponses/{reply.id}/envoi").status_code == 303
    assert replies(app)[0].attempts == 2


def test_without_mail_settings_the_agent_is_told_and_the_reply_is_kept(app, client, agent):
    send_contact(client)
    [message] = messages(app)
    page = client.post(f"/staff/messages/{message.id}/reponse", data={"body": "Bonjour"},
                       follow_redirects=True).get_data(as_text=True)
    assert "L&#39;envoi des courriels n&#39;est pas configuré" in page
    assert [r.last_failure for r in replies(app)] == ["not_configured"]


@pytest.mark.parametrize(("body", "error"), [
    ("", "Écrivez votre réponse."),
    ("x" * 5001, "Votre réponse est trop longue : 5000 caractères au plus."),
    ("Votre numéro 2 85 02 2A 004 123 55 est bien reçu", "Ce texte contient un numéro de sécurité sociale"),
])
def test_a_bad_reply_is_explained_on_its_field_and_nothing_is_kept_or_sent(app, client, agent, body, error):
    send_contact(client)
    [message] = messages(app)
    response = client.post(f"/staff/messages/{message.id}/reponse", data={"body": body})
    assert response.status_code == 422 and error in response.get_data(as_text=True).replace("&#39;", "'")
    assert replies(app) == []


def test_no_reply_to_a_message_without_an_address_or_that_does_not_exist(app, client, agent):
    send_contact(client, email="")
    [message] = messages(app)
    assert client.post(f"/staff/messages/{message.id}/reponse", data={"body": "Bonjour"}).status_code == 404
    assert client.post("/staff/messages/424242/reponse", data={"body": "Bonjour"}).status_code == 404
    assert client.post("/staff/messages/424242/traite").status_code == 404
    assert client.post(f"/staff/messages/{message.id}/reponses/424242/envoi").status_code == 404
    assert replies(app) == []


def test_the_compliance_board_counts_the_unanswered_messages(app, client, make_staff, sign_in):
    send_contact(client)
    send_contact(client, topic="question", email="")
    sign_in(make_staff("registry_admin"))
    page = client.get("/staff/entrepots").get_data(as_text=True)
    assert 'data-unanswered-messages="2"' in page and "Dont 1 sur l'accessibilité" in page
