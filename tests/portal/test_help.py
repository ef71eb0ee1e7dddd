"""Help pages, the printable form, the contact form and the easy-read pages."""

import re

import pytest
from sqlalchemy import select

from portal.database import db
from registry.contact import ContactMessage
from tests.pdf_text import pdf_text

MARIE_NIR = "2 85 02 2A 004 123 55"
PENDING_NIR = "4 91 07 69 123 045 40"  # sex digit 4: a number pending registration
FULL_WIDTH = str.maketrans("0123456789AB", "０１２３４５６７８９ＡＢ")


def field_errors(page: str, field: str) -> list[str]:
    return re.findall(rf'<p id="{field}-erreur-\d+" class="fr-error-text">([^<]*)</p>', page)


def stored_messages(app):
    with app.app_context():
        return db.session().scalars(select(ContactMessage)).all()


@pytest.mark.parametrize(("path", "questions"), [
    ("/aide/", ["Qu'est-ce que cela change pour mes soins ?", "Et pour mes enfants ?",
                "Est-ce que je peux changer d'avis ?", "Qui voit mon choix ?"]),
    ("/en/aide/", ["What changes for my care?", "What about my children?", "Can I change my mind?",
                   "Who sees my choice?"]),
])
def test_the_help_page_answers_the_questions_people_ask(client, path, questions):
    page = client.get(path).get_data(as_text=True)
    for question in questions:
        assert f"<h2>{question}</h2>" in page


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_help_page_leads_to_every_help_and_trust_page(client, prefix):
    page = client.get(f"{prefix}/aide/").get_data(as_text=True)
    for path in ("/aide/autres-demarches", "/aide/contact", "/aide/formulaire-papier.pdf", "/facile-a-lire/comprendre",
                 "/facile-a-lire/demarche", "/mon-espace/mes-donnees", "/donnees-personnelles", "/cookies",
                 "/mentions-legales", "/accessibilite", "/plan-du-site"):
        assert f'href="{prefix}{path}"' in page, path


def test_the_other_channels_page_explains_phone_counter_and_post(client):
    page = client.get("/aide/autres-demarches").get_data(as_text=True)
    for heading in ("Par téléphone", "Au guichet", "Par courrier"):
        assert f"<h2>{heading}</h2>" in page
    assert "REGISTRE_PHONE_NUMBER" in page and "REGISTRE_POSTAL_ADDRESS" in page


@pytest.mark.parametrize(("path", "title", "agents_box"), [
    ("/aide/formulaire-papier.pdf", "Formulaire d'opposition", "Cadre réservé à l'administration"),
    ("/en/aide/formulaire-papier.pdf", "Form to oppose the reuse of health data", "For official use"),
])
def test_the_printable_form_is_a_pdf_in_the_pages_language(client, path, title, agents_box):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert response.data.startswith(b"%PDF") and title in text and agents_box in text


def test_a_contact_message_is_stored_with_its_retention_and_nothing_else(app, client):
    response = client.post("/aide/contact", data={"topic": "question", "body": "  Puis-je changer d'avis ?  ", "email": ""},
                           environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 303 and response.headers["Location"] == "/aide/contact"
    assert "Votre message a bien été envoyé" in client.get("/aide/contact").get_data(as_text=True)
    [message] = stored_messages(app)
    assert (message.topic, message.body, message.has_reply_address, message.language) == ("question", "Puis-je changer d'avis ?", False, "fr")
    assert (message.expires_at - message.received_at).days == app.config["CONTACT_RETENTION_DAYS"]
    assert "203.0.113.7" not in repr(vars(message))


@pytest.mark.parametrize(("path", "form", "field", "message"), [
    ("/aide/contact", {"body": "x"}, "topic", "Choisissez un sujet."),
    ("/aide/contact", {"topic": "question", "body": " "}, "body", "Écrivez votre message."),
    ("/en/aide/contact", {"topic": "question", "body": ""}, "body", "Write your message."),
    ("/aide/contact", {"topic": "question", "body": "x", "email": "pas-une-adresse"}, "email",
     "Saisissez une adresse électronique valide"),
    ("/en/aide/contact", {"topic": "question", "body": "x" * 5001}, "body", "Your message is too long: 5000 characters at most."),
    ("/aide/contact", {"topic": "filing", "body": f"Mon numéro est {MARIE_NIR}, merci"}, "body",
     "N'écrivez pas votre numéro de sécurité sociale"),
    ("/en/aide/contact", {"topic": "filing", "body": "number 285022A00412355"}, "body",
     "Do not write your social security number"),
])
def test_bad_contact_input_is_explained_on_its_field_and_nothing_is_stored(app, client, path, form, field, message):
    response = client.post(path, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(error.startswith(message) for error in field_errors(page, field)), field_errors(page, field)
    assert stored_messages(app) == []


@pytest.mark.parametrize(("form", "field"), [
    pytest.param({"body": "Mon numéro : 2/85/02/2A/004/123/55"}, "body", id="slashes and 2A"),
    pytest.param({"body": f"Numéro {PENDING_NIR}, merci"}, "body", id="sex digit 4"),
    pytest.param({"body": f"Numéro {MARIE_NIR.replace(' ', '').translate(FULL_WIDTH)}"}, "body", id="full-width digits"),
    pytest.param({"body": "Bonjour", "email": f"{MARIE_NIR.replace(' ', '.')}@example.fr"}, "email", id="in the email"),
])
def test_a_number_typed_in_any_free_text_field_however_written_is_refused_and_nothing_stored(app, client, form, field):
    page = client.post("/aide/contact", data={"topic": "filing", "email": "", **form}).get_data(as_text=True)
    assert field_errors(page, field) and "sécurité sociale" in field_errors(page, field)[0]
    assert stored_messages(app) == []


def test_a_message_without_a_number_still_goes_through_with_its_email(app, client):
    response = client.post("/aide/contact", data={"topic": "question", "email": "lea.1985@example.fr",
                                                  "body": "Né le 12/03/1985, tél. 06 12 34 56 78 : puis-je changer d'avis ?"})
    assert response.status_code == 303
    [message] = stored_messages(app)
    assert b"lea.1985" not in message.reply_to_sealed  # sealed (registry.contact), opened with the app's key
    assert app.extensions["contact_sealer"].open(message.reply_to_sealed, message.reply_to_key_id) == "lea.1985@example.fr"


def test_the_contact_form_refuses_a_post_without_its_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/aide/contact", data={"topic": "question", "body": "Bonjour"}).status_code == 400
    assert stored_messages(app) == []


@pytest.mark.parametrize("path", ["/facile-a-lire/comprendre", "/facile-a-lire/demarche"])
def test_easy_read_pages_say_they_are_not_validated_until_the_setting_says_so(app, client, path):
    warning = "n'a pas encore été relu par des personnes en situation de handicap intellectuel"
    assert warning in client.get(path).get_data(as_text=True)
    app.config["EASY_READ_VALIDATED"] = True
    assert warning not in client.get(path).get_data(as_text=True)


def test_easy_read_pages_are_french_inside_the_english_pages(client):
    page = client.get("/en/facile-a-lire/comprendre").get_data(as_text=True)
    assert '<html lang="en">' in page and '<div lang="fr" class="rno-easyread">' in page
    assert "The easy-read versions exist in French only." in page


@pytest.mark.parametrize("path", ["/", "/comprendre", "/en/aide/", "/mentions-legales"])
def test_the_easy_read_version_is_reachable_from_every_page(client, path):
    page = client.get(path).get_data(as_text=True)
    assert "/facile-a-lire/comprendre" in page


def test_the_purge_command_deletes_expired_handled_messages_and_keeps_unhandled_ones(app, runner):
    import datetime as dt

    from registry.contact import DatabaseInbox, NewMessage, mark_handled

    with app.app_context():
        session = db.session()
        inbox = DatabaseInbox(dt.timedelta(days=-1), app.extensions["contact_sealer"])
        inbox.deliver(session, NewMessage(topic="other", body="old", language="fr"))
        inbox.deliver(session, NewMessage(topic="accessibility", body="unread", language="fr"))
        session.flush()
        mark_handled(session, session.scalar(select(ContactMessage.id).where(ContactMessage.body == "old")), actor="test")
        session.commit()
    result = runner.invoke(args=["registry", "purge-contact-messages"])
    assert result.exit_code == 0 and "1 expired contact messages deleted." in result.output
    assert [m.body for m in stored_messages(app)] == ["unread"]
