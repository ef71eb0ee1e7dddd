"""The counter in a real browser: a parent files for her child as on the paper form, the receipt
prints without the back-office's menu or the agent's address, and downloads as a PDF that names
the agent by role; the form passes axe-core at phone and desktop widths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.browser import check_page
from tests.e2e.test_staff import choose, make_account, sign_in_with_totp  # noqa: F401  (a fixture)
from tests.e2e.conftest import live_config
from tests.pdf_text import pdf_text
from tests.registry.nir_factory import make_nir, spaced

CHILD = make_nir(1, 18, 3, "69", "123", 45)  # a boy born on 9 March 2018


@pytest.fixture
def live_server_config(database_url) -> dict:
    return live_config(database_url, STAFF_BASE_DELAY=0)


def fill_child(page) -> None:
    choose(page, "Pour un enfant mineur, par son parent ou son tuteur")
    page.get_by_label("Numéro de sécurité sociale (NIR) de la personne").fill(spaced(CHILD))
    choose(page, "Homme")
    date = page.get_by_role("group", name=re.compile("Date de naissance de la personne"))
    for label, value in (("Jour", "9"), ("Mois", "3"), ("Année", "2018")):
        date.get_by_label(label).fill(value)
    choose(page, "Au guichet")


def tick(page, field_id: str) -> None:
    page.locator(f"label[for={field_id}]").click()
    assert page.locator(f"#{field_id}").is_checked()


def visible_when_printed(page) -> str:
    page.emulate_media(media="print")
    try:
        return page.locator("body").inner_text()
    finally:
        page.emulate_media(media="screen")


@pytest.mark.parametrize("width", [375, 1280])
def test_a_parent_files_for_her_child_at_the_counter(live_server, page, console_errors, make_account, width):
    page.set_viewport_size({"width": width, "height": 900})
    email = make_account("agent")
    sign_in_with_totp(page, live_server, email)
    page.goto(live_server.url + "/staff/depot")
    check_page(page, console_errors)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    fill_child(page)
    page.get_by_role("button", name="Enregistrer la demande").click()
    # the representative's part is missing: each box says what to do
    assert "Indiquez la qualité du représentant" in page.locator("#representative-erreur-1").inner_text()
    assert "Le représentant doit attester" in page.locator("#representative_attests-erreur-1").inner_text()
    check_page(page, console_errors)
    choose(page, "Parent")
    tick(page, "representative_attests")
    page.get_by_role("button", name="Enregistrer la demande").click()
    error = page.locator("#representative_checked-erreur-1").inner_text()
    assert error.startswith("Au guichet, vérifiez la pièce d'identité du représentant")
    if not page.locator("#representative_attests").is_checked():
        tick(page, "representative_attests")
    tick(page, "representative_checked")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert "/staff/recu/RNO-" in page.url
    receipt = page.locator("article.staff-receipt").inner_text()
    for shown in ("Enfant mineur", "Parent", "Agent d'accueil",
                  "Pièce d'identité du représentant et justificatif de sa qualité vérifiés au guichet"):
        assert shown in receipt
    check_page(page, console_errors)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    printed = visible_when_printed(page)
    assert "Récépissé de votre demande" in printed and "Enfant mineur" in printed
    for chrome in (email, "Connecté", "Se déconnecter", "Enregistrer une autre demande", "staff:"):
        assert chrome not in printed, chrome

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le récépissé (PDF)").click()
    reference = page.locator("[data-receipt-reference]").inner_text()
    assert download.value.suggested_filename == f"recepisse-{reference}.pdf"
    text = pdf_text(Path(download.value.path()).read_bytes())
    for shown in (reference, "Enfant mineur", "Parent", "Agent d'accueil", "Au guichet"):
        assert shown in text
    assert "staff:" not in text and email not in text and CHILD not in text.replace(" ", "")
