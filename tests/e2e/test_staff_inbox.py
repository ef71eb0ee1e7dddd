"""Issue 20, line 10: a contact message reaches someone. A citizen writes with the public form;
an agent signs in, finds it in "Messages reçus", reads it and replies; the reply arrives at a
real SMTP server (maildev) with its subject and text; the message is handled and the
administrator's compliance board counts one unanswered message fewer. At phone width too."""

from __future__ import annotations

import pytest

from tests.e2e.browser import check_page
from tests.e2e.conftest import live_config
from tests.e2e.test_staff import make_account, sign_in_with_totp  # noqa: F401  (a shared fixture)
from tests.mail_server import mail_server  # noqa: F401  (a shared fixture)

PHONE = {"width": 375, "height": 812}
BODY = "Bonjour, le formulaire de demande ne se lit pas avec mon lecteur d'écran."
REPLY = "Bonjour,\nMerci de votre message : le formulaire est corrigé.\nL'équipe du registre"


@pytest.fixture
def live_server_config(database_url, mail_server) -> dict:
    return live_config(database_url, STAFF_BASE_DELAY=0, MAIL_SMTP_URL=mail_server.smtp_url,
                       MAIL_FROM="Registre national d'opposition <ne-pas-repondre@registre.example>")


def unanswered_on_the_board(page, live_server) -> str:
    page.goto(live_server.url + "/staff/entrepots")
    return page.locator("[data-unanswered-messages]").get_attribute("data-unanswered-messages")


@pytest.mark.parametrize("viewport", [PHONE, None], ids=["phone", "desktop"])
def test_a_contact_message_is_read_and_answered_by_an_agent_and_the_reply_arrives(
        live_server, browser, context, page, console_errors, make_account, mail_server, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    admin_context = browser.new_context(locale="fr-FR")
    admin = admin_context.new_page()
    try:
        sign_in_with_totp(admin, live_server, make_account("registry_admin"))
        assert unanswered_on_the_board(admin, live_server) == "0"

        # A citizen writes, asking for an answer by e-mail.
        page.goto(live_server.url + "/aide/contact")
        page.locator("label", has_text="Accessibilité").click()
        page.get_by_label("Votre message").fill(BODY)
        page.get_by_label("Votre adresse électronique (facultatif)").fill("lea.martin@example.fr")
        page.get_by_role("button", name="Envoyer le message").click()
        assert "Votre message a bien été envoyé" in page.locator(".fr-alert--success").inner_text()
        assert unanswered_on_the_board(admin, live_server) == "1"

        # An agent finds it in the inbox and reads it.
        page.context.clear_cookies()
        sign_in_with_totp(page, live_server, make_account("agent"))
        page.get_by_role("link", name="Messages reçus").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Messages reçus"
        row = page.locator("tr[data-message]").first
        assert "À traiter" in row.text_content() and "Accessibilité" in row.text_content()
        check_page(page, console_errors)
        row.get_by_role("link").click()
        assert page.locator("[data-message-body]").inner_text() == BODY
        assert "lea.martin" not in page.content()  # the address is never shown
        check_page(page, console_errors)

        # The agent replies; the reply reaches the SMTP server.
        page.get_by_label("Votre réponse").fill(REPLY)
        page.get_by_role("button", name="Envoyer la réponse").click()
        page.wait_for_url(live_server.url + "/staff/messages")
        assert "Votre réponse a été envoyée" in page.locator(".fr-alert--success").inner_text()
        assert "Traité" in page.locator("tr[data-message]").first.text_content()
        check_page(page, console_errors)
        [mail] = mail_server.wait_for_mails(1)
        assert mail["subject"] == "Réponse à votre message au Registre national d'opposition"
        assert [to["address"] for to in mail["to"]] == ["lea.martin@example.fr"]
        assert mail["text"].startswith(REPLY + "\n")

        # The compliance board counts one unanswered message fewer.
        assert unanswered_on_the_board(admin, live_server) == "0"
    finally:
        admin_context.close()
