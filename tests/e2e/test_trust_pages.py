"""Trust and help pages in a real browser: every page the accessibility statement lists passes
axe-core in French and English (so the statement names exactly what the tests check), the error
pages too, and "my data" is downloaded after filing."""

import json
from urllib.parse import urlsplit

import pytest

from portal.pages import localized_url
from portal.trust.site import public_pages
from registry.identifiers import parse_identifier
from tests.e2e.browser import check_page
from tests.e2e.test_citizen_journeys import MARIE, file_for_myself, log_in
from tests.pdf_text import pdf_text
from tests.registry.test_no_raw_identifier import formattings


def statement_pages(page, base: str, lang: str) -> list[str]:
    page.goto(f"{base}{lang}/accessibilite")
    return [urlsplit(a.get_attribute("href")).path for a in page.locator("#pages-testees a").all()]


def linked_paths(page, selector: str) -> set[str]:
    return {urlsplit(a.get_attribute("href")).path for a in page.locator(selector).all()
            if (a.get_attribute("href") or "").startswith("/")}


@pytest.mark.parametrize("lang", ["", "/en"])
def test_every_page_the_accessibility_statement_lists_passes_axe(live_server, page, console_errors, lang):
    listed = statement_pages(page, live_server.url, lang)
    with live_server.app.test_request_context(f"{lang}/"):
        assert sorted(listed) == sorted(localized_url(p.endpoint) for p in public_pages())
    footer = linked_paths(page, "#pied-de-page a")
    page.goto(f"{live_server.url}{lang}/aide/")
    from_help = linked_paths(page, "main a")
    same_language = {p for p in footer | from_help if (p == "/en" or p.startswith("/en/")) == bool(lang)}
    public_from_footer_and_help = {p for p in same_language if "/mon-espace" not in p and not p.endswith(".pdf")}
    assert public_from_footer_and_help <= set(listed), "a page reachable from the footer or help is not in the statement"
    for path in listed:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == ("en" if lang else "fr")
        check_page(page, console_errors)


@pytest.mark.parametrize(("path", "heading"), [("/nulle-part", "Page non trouvée"), ("/en/nowhere", "Page not found")])
def test_the_error_page_passes_axe(live_server, page, console_errors, path, heading):
    response = page.goto(live_server.url + path)
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == heading
    check_page(page, console_errors)


@pytest.mark.parametrize("lang", ["", "/en"])
def test_the_contact_form_with_its_errors_passes_axe_and_then_sends(live_server, page, console_errors, lang):
    page.goto(f"{live_server.url}{lang}/aide/contact")
    page.locator("main form button[type=submit]").click()
    page.locator("#body-erreur-1").wait_for()
    check_page(page, console_errors)
    page.locator("label[for=topic-0]").click()
    page.locator("#body").fill("Bonjour, une question.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{lang}/aide/contact")
    assert page.locator(".fr-alert--success").inner_text()


def test_a_citizen_downloads_my_data_after_filing_without_any_raw_number(live_server, page, console_errors):
    log_in(page, live_server, "demo-marie-corse")
    page.goto(live_server.url + "/mon-espace/opposition")
    file_for_myself(page, MARIE)
    reference = page.locator("#reference").inner_text()
    page.goto(live_server.url + "/mon-espace")
    page.get_by_role("link", name="Tout télécharger, ou supprimer mon compte").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mes données"
    check_page(page, console_errors)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger en JSON").click()
    with open(download_info.value.path(), encoding="utf-8") as handle:
        text = handle.read()
    document = json.loads(text)
    person = document["person"]  # Marie proved to be the person when she filed
    assert document["claims"] == []
    assert person["opposition_in_force"]["active"]
    assert [(v["action"], v["receipt_reference"]) for v in person["history"]] == [("filed", reference)]
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger en PDF").click()
    with open(download_info.value.path(), "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF") and reference in pdf_text(pdf)
    for form in formattings(parse_identifier(MARIE).value):
        assert form not in text and form.encode() not in pdf and form not in pdf_text(pdf), "a raw number is in the download"
    page.goto(live_server.url + "/en/mon-espace/mes-donnees")
    check_page(page, console_errors)
    page.locator("label[for=confirm]").click()
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(live_server.url + "/en/")
    assert "Your opt-outs stay in force" in page.locator(".fr-alert").inner_text()
