"""Issue 24: a warehouse's engineer connects using only the public pages. From the developer
page of the sandbox: the access request form, an administrator's approval in the back-office,
the single-use link received by e-mail (a real SMTP server), the secret shown once, then the
page's own curl example, run as shown, answers a first lookup. The developer pages pass axe
at phone and desktop widths, in French and English."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.e2e.browser import check_page
from tests.e2e.conftest import live_config
from tests.e2e.test_staff import make_account, sign_in_with_totp  # noqa: F401  (a shared fixture)
from tests.mail_server import mail_server  # noqa: F401  (a shared fixture)

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live_server_config(database_url, mail_server, tmp_path) -> dict:
    return live_config(database_url, STAFF_BASE_DELAY=0, SANDBOX=True, INSTANCE_PATH=str(tmp_path / "instance"),
                       MAIL_SMTP_URL=mail_server.smtp_url,
                       MAIL_FROM="Bac à sable du registre <ne-pas-repondre@registre.example>")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("prefix", ["", "/en"], ids=["fr", "en"])
def test_the_developer_pages_pass_axe(live_server, page, console_errors, viewport, prefix):
    page.set_viewport_size(viewport)
    for path in ("/developpeurs/", "/developpeurs/reference-api", "/developpeurs/demande-acces"):
        page.goto(live_server.url + prefix + path)
        assert page.locator("h1").count() == 1
        check_page(page, console_errors)


def test_from_the_developer_page_to_a_first_lookup_in_the_sandbox(
        live_server, browser, page, console_errors, make_account, mail_server, tmp_path):
    seeded = live_server.app.test_cli_runner().invoke(args=["registry", "seed-sandbox"])
    assert seeded.exit_code == 0, seeded.output
    page.set_viewport_size(PHONE)

    # The footer leads to the developer page, which says this is the sandbox and how to ask.
    page.goto(live_server.url + "/")
    page.locator("footer").get_by_role("link", name="Développeurs").click()
    assert "Vous êtes dans le bac à sable" in page.locator("[data-sandbox-notice]").inner_text()
    page.locator("#identifiants").locator("xpath=following-sibling::ol[1]").get_by_role(
        "link", name="demande d'accès").click()

    # The access request: a wrong SIRET is explained, then the request goes.
    page.get_by_label("Organisation").fill("CHU d'Essai")
    page.get_by_label("Numéro SIRET de l'établissement").fill("130 025 265 00014")
    page.get_by_label("Adresse électronique de contact").fill("equipe.donnees@chu-essai.fr")
    page.locator("label.fr-label", has_text="Recherche scientifique").click()
    page.get_by_label("Taille de cohorte attendue (nombre de personnes)").fill("12 000")
    page.get_by_label("Adresse électronique du délégué à la protection des données").fill("dpo@chu-essai.fr")
    page.get_by_role("button", name="Envoyer la demande").click()
    assert "Ce numéro SIRET n'est pas valide" in page.locator(".fr-error-text").first.inner_text()
    check_page(page, console_errors)
    page.get_by_label("Numéro SIRET de l'établissement").fill("130 025 265 00013")
    page.get_by_role("button", name="Envoyer la demande").click()
    assert "Votre demande d'accès DA-" in page.locator(".fr-alert--success").inner_text()

    # An administrator approves it in the back-office.
    admin_context = browser.new_context(locale="fr-FR")
    admin = admin_context.new_page()
    try:
        sign_in_with_totp(admin, live_server, make_account("registry_admin"))
        admin.get_by_role("link", name="Demandes d'accès à l'API").click()
        admin.locator("tr[data-access-request]").first.get_by_role("link").click()
        assert "equipe.donnees@chu-essai.fr" in admin.content()
        admin.get_by_role("button", name="Accepter et envoyer le lien").click()
        assert "le lien à usage unique a été envoyé" in admin.locator(".fr-alert--success").inner_text()
    finally:
        admin_context.close()

    # The one-time link arrives by e-mail; the secret is shown once.
    [mail] = mail_server.wait_for_mails(1)
    assert [to["address"] for to in mail["to"]] == ["equipe.donnees@chu-essai.fr"]
    link = re.search(r"http://\S+/developpeurs/identifiants/\S+", mail["text"]).group(0)
    page.goto(link)
    check_page(page, console_errors)
    page.get_by_role("button", name="Créer mes identifiants").click()
    client_id = page.locator("[data-client-id]").inner_text()
    client_secret = page.locator("[data-client-secret]").inner_text()
    check_page(page, console_errors)
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Ce lien n'est plus utilisable"

    # The developer page's curl example, run as shown, makes a first lookup.
    page.goto(live_server.url + "/developpeurs/")
    example = page.locator('[data-example="curl_lookup"]').text_content()
    environment = {**os.environ, "REGISTRE_API_URL": live_server.url, "REGISTRE_CLIENT_ID": client_id,
                   "REGISTRE_CLIENT_SECRET": client_secret}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", example], env=environment, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [r.get("opposed", r.get("error")) for r in answer["results"]] == [True, False, "length"]
    assert answer["valid_until"] > answer["checked_at"]
