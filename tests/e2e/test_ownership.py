"""Ownership in a real browser: knowing someone's number gives nothing of theirs. A stranger who
files as a proxy sees and ends only his own request; the person, once proved, sees everything
(the counter's filing, the stranger's request, a twin's refused attempt) and the pages that show
it pass axe-core. The same attacks through HTTP: ``tests/portal/test_ownership_http.py``."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import parse_identifier
from registry.oppositions import Filing, file_opposition
from registry.purposes import Purpose
from tests.e2e.browser import AXE_SCRIPT, check_page
from tests.e2e.test_citizen_journeys import file_for_myself, fill_birthdate, history, log_in

MARIE, KARIM, JULIE, CHILD = (p.nir for p in DEMO_PEOPLE)
MARIE_BIRTHDATE = "1985-02-14"
COUNTER = Filing(channel="counter", actor="agent", filed_by="staff:1")
RECEIPT_REFERENCE = re.compile(r"RNO(-[A-Z2-9]{4}){4}")


def counter_filing(live_server, nir: str) -> str:
    """An opposition to every purpose filed at a counter beforehand: its receipt reference."""
    with live_server.app.app_context():
        from portal.keys import keyring

        version = file_opposition(db.session(), keyring(), parse_identifier(nir), None, COUNTER)
        db.session().commit()
        return version.receipt_reference


@contextmanager
def another_browser(browser, **options):
    """A second person on another device: a fresh profile with axe-core, and its console errors."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(locale="fr-FR", **options)
    context.add_init_script(path=str(AXE_SCRIPT))
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        yield page, errors
    finally:
        try:  # as the ``page`` fixture: let a navigation under way settle before closing
            page.wait_for_load_state("networkidle", timeout=30_000)
        except PlaywrightError:
            pass
        context.close()


def fill_proxy_form(page, proxy_for: str, nir: str, birthdate: str) -> None:
    page.locator("label[for=proxy_for-%d]" % ("minor", "protected_adult").index(proxy_for)).click()
    page.locator("#nir").fill(nir)
    fill_birthdate(page, birthdate)
    if not page.locator("#attest").is_checked():
        page.locator("label[for=attest]").click()
    page.locator("main form button[type=submit]").click()


def find_my_opposition(page, nir: str) -> None:
    page.locator("#nir").fill(nir)
    page.locator("main form button[type=submit]").click()


def test_a_stranger_filing_as_marie_s_proxy_gets_only_his_own_request_and_marie_finds_everything(
        live_server, page, browser):
    counter_reference = counter_filing(live_server, MARIE)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, "demo-karim-maroc")
    page.get_by_role("link", name="M'opposer pour un enfant ou un majeur protégé").click()
    fill_proxy_form(page, "protected_adult", MARIE, MARIE_BIRTHDATE)

    # his own receipt, for his own request: nothing of what the counter filed
    page.wait_for_url(re.compile(r"/mon-espace/recus/RNO-"))
    assert page.get_by_role("heading", level=1).inner_text() == "Demande enregistrée"
    karim_reference = page.locator("#reference").inner_text()
    assert karim_reference != counter_reference and counter_reference not in page.content()
    assert "Majeur protégé" in page.locator("main dl").inner_text()
    assert "Il ne dit rien des autres demandes" in page.content()

    page.get_by_role("link", name="Retour à mon espace").click()
    page.wait_for_url(live_server.url + "/mon-espace")
    cards = page.locator("main section.fr-card")
    assert cards.count() == 1
    card = cards.first
    assert "Majeur protégé" in card.text_content() and "Votre demande est en vigueur" in card.text_content()
    assert "Votre demande porte sur tous les usages." in card.text_content()
    content = page.content()
    for leak in ("Au guichet", counter_reference, "Opposition en vigueur", "Opposition à tous les usages.",
                 "/mon-espace/mon-opposition/"):
        assert leak not in content, leak
    assert page.goto(f"{live_server.url}/mon-espace/recus/{counter_reference}").status == 404
    assert page.request.get(f"{live_server.url}/mon-espace/recus/{counter_reference}.pdf").status == 404

    # he ends what he can reach, his own request, through the page's buttons
    page.goto(live_server.url + "/mon-espace")
    withdraw = card.get_by_role("link", name="Retirer ma demande")
    assert re.fullmatch(r"/mon-espace/oppositions/\d+/retrait", withdraw.get_attribute("href"))
    withdraw.click()
    page.wait_for_url(re.compile(r"/mon-espace/oppositions/\d+/retrait$"))
    assert "Seule votre demande prend fin." in page.content()
    page.get_by_role("button", name="Confirmer le retrait").click()
    page.wait_for_url(re.compile(r"/mon-espace/recus/RNO-"))
    assert page.get_by_role("heading", level=1).inner_text() == "Votre demande a pris fin"
    page.get_by_role("link", name="Retour à mon espace").click()
    page.wait_for_url(live_server.url + "/mon-espace")
    assert "Votre demande a pris fin" in page.locator("main section.fr-card").text_content()
    assert page.get_by_role("link", name="Refaire ma demande").is_visible()
    state, versions = history(live_server, MARIE)
    assert state.active and set(state.purposes) == set(Purpose) and len(versions) == 3

    # Marie, on her own device, finds the opposition filed at the counter: it files nothing
    with another_browser(browser) as (marie, _errors):
        marie.set_viewport_size({"width": 1280, "height": 800})
        log_in(marie, live_server, "demo-marie-corse")
        assert counter_reference not in marie.content()
        marie.get_by_role("link", name="Retrouver mon opposition faite au guichet ou par courrier").click()
        marie.wait_for_url(live_server.url + "/mon-espace/retrouver")
        find_my_opposition(marie, MARIE)
        marie.wait_for_url(live_server.url + "/mon-espace")
        assert "C'est bien vous" in marie.locator(".fr-alert--success").inner_text()
        person = marie.locator("#person-opposition").locator("xpath=ancestor::section")
        assert "Opposition en vigueur" in person.text_content()
        assert "Opposition à tous les usages." in person.text_content()
        rows = person.locator("table tbody tr")
        counter_row = rows.filter(has_text=counter_reference)
        assert counter_row.count() == 1 and "Au guichet" in counter_row.inner_text()
        assert "Un agent du registre" in counter_row.inner_text()
        by_representative = rows.filter(has_text="Un représentant légal")
        assert by_representative.count() == 2  # his filing, then its end
        assert "majeur protégé" in by_representative.first.inner_text()
        assert karim_reference in person.text_content()
        assert marie.get_by_role("link", name="Retirer l'opposition").get_attribute("href") == "/mon-espace/mon-opposition/retrait"
        assert marie.goto(f"{live_server.url}/mon-espace/recus/{counter_reference}").status == 200
    assert len(history(live_server, MARIE)[1]) == 3  # finding filed nothing


def test_a_minors_proxy_filing_with_an_adults_number_is_refused_on_the_birth_date(live_server, page):
    counter_filing(live_server, MARIE)
    log_in(page, live_server, "demo-karim-maroc", "/mon-espace/procuration")
    fill_proxy_form(page, "minor", MARIE, MARIE_BIRTHDATE)
    error = page.locator("#birthdate-erreur-1")
    assert "la personne a 18 ans ou plus" in error.inner_text()
    assert "Majeur protégé" in error.inner_text()
    assert page.locator("#birthdate-year").get_attribute("aria-invalid") == "true"  # the whole date is marked
    assert "birthdate-erreur-1" in page.locator("#birthdate-year").get_attribute("aria-describedby")
    assert page.locator("#nir-erreur-1").count() == 0
    assert len(history(live_server, MARIE)[1]) == 1  # only the counter's filing


def test_the_proxy_form_in_english_at_phone_width_refuses_a_minor_and_files_only_the_holders_request(
        live_server, browser):
    counter_reference = counter_filing(live_server, MARIE)
    with another_browser(browser, viewport={"width": 375, "height": 812}) as (page, errors):
        log_in(page, live_server, "demo-karim-maroc", "/en/mon-espace/procuration")
        assert page.locator("html").get_attribute("lang") == "en"
        fill_proxy_form(page, "minor", MARIE, MARIE_BIRTHDATE)
        # the refusal sits on the birth date field (its English wording is being translated)
        assert "18" in page.locator("#birthdate-erreur-1").inner_text()
        assert page.locator("#birthdate-day").get_attribute("aria-invalid") == "true"
        assert page.locator("#nir-erreur-1").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        check_page(page, errors)
        fill_proxy_form(page, "protected_adult", MARIE, MARIE_BIRTHDATE)
        page.wait_for_url(re.compile(r"/en/mon-espace/recus/RNO-"))
        assert RECEIPT_REFERENCE.fullmatch(page.locator("#reference").inner_text())
        assert counter_reference not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.goto(live_server.url + "/en/mon-espace")
        assert page.locator("main section.fr-card").count() == 1
        assert "Your request is in force" in page.locator("main section.fr-card").text_content()
        hrefs = page.locator("main section.fr-card a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert any(re.fullmatch(r"/en/mon-espace/oppositions/\d+/retrait", href) for href in hrefs), hrefs
        assert not any("/mon-opposition/" in href for href in hrefs)
        content = page.content()
        assert counter_reference not in content and "At the counter" not in content and "Au guichet" not in content
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert len(history(live_server, MARIE)[1]) == 2


def test_a_twin_cannot_become_marie_and_marie_sees_the_refused_attempt(live_server, page, console_errors, browser):
    log_in(page, live_server, "demo-marie-corse", "/mon-espace/opposition")
    file_for_myself(page, MARIE)
    page.wait_for_url(re.compile(r"/mon-espace/recus/RNO-"))
    assert page.get_by_role("heading", level=1).inner_text() == "Opposition enregistrée"
    marie_reference = page.locator("#reference").inner_text()

    with another_browser(browser) as (twin, errors):
        log_in(twin, live_server, "test-marie-jumelle", "/mon-espace/opposition")
        file_for_myself(twin, MARIE)
        twin.wait_for_url(re.compile(r"/mon-espace/recus/RNO-"))
        assert twin.get_by_role("heading", level=1).inner_text() == "Demande enregistrée"
        warning = twin.locator(".fr-alert--warning").inner_text()
        assert "une autre identité FranceConnect a déjà prouvé être cette personne" in warning
        assert "guichet" in warning
        twin.goto(live_server.url + "/mon-espace")
        assert twin.get_by_role("heading", name="Ma demande pour moi-même (non vérifiée)").is_visible()
        assert "Votre demande est en vigueur" in twin.locator("main section.fr-card").text_content()
        content = twin.content()
        assert marie_reference not in content and "/mon-espace/mon-opposition/" not in content
        assert "Opposition en vigueur" not in content
        check_page(twin, errors)
        assert twin.goto(live_server.url + "/mon-espace/mon-opposition/retrait").status == 404
        assert twin.goto(live_server.url + "/mon-espace/mon-opposition/usages").status == 404
        assert twin.goto(f"{live_server.url}/mon-espace/recus/{marie_reference}").status == 404

    page.goto(live_server.url + "/mon-espace")
    alert = page.locator("#person-opposition").locator("xpath=ancestor::section").locator(".fr-alert--warning")
    assert "Une autre identité FranceConnect a essayé de prouver être vous, et a été refusée." in alert.inner_text()
    assert "Un compte qui n'a pas pu prouver être vous" in page.locator("main table").inner_text()
    check_page(page, console_errors)
    state, _versions = history(live_server, MARIE)
    assert state.active and set(state.purposes) == set(Purpose)


@pytest.mark.parametrize("lang", ["", "/en"])
def test_the_pages_of_a_proxy_holder_and_of_the_proved_person_pass_axe(live_server, page, console_errors,
                                                                         browser, lang):
    counter_filing(live_server, MARIE)
    log_in(page, live_server, "demo-karim-maroc", f"{lang}/mon-espace/procuration")
    fill_proxy_form(page, "protected_adult", MARIE, MARIE_BIRTHDATE)
    page.wait_for_url(re.compile(lang + r"/mon-espace/recus/RNO-"))
    check_page(page, console_errors)  # a holder's receipt
    page.goto(f"{live_server.url}{lang}/mon-espace")
    check_page(page, console_errors)  # a proxy holder's space
    links = page.locator("main section.fr-card a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    claim_pages = [href for href in links if re.fullmatch(lang + r"/mon-espace/oppositions/\d+/(usages|retrait)", href)]
    assert len(claim_pages) == 2, links
    for href in claim_pages:  # the holder's change and withdrawal forms
        page.goto(live_server.url + href)
        check_page(page, console_errors)

    with another_browser(browser) as (marie, errors):
        log_in(marie, live_server, "demo-marie-corse", f"{lang}/mon-espace")
        check_page(marie, errors)  # not proved yet
        marie.goto(f"{live_server.url}{lang}/mon-espace/retrouver")
        check_page(marie, errors)
        find_my_opposition(marie, MARIE[:-2] + "00")  # a wrong key: the error state
        marie.locator("#nir-erreur-1").wait_for()
        check_page(marie, errors)
        find_my_opposition(marie, MARIE)
        marie.wait_for_url(f"{live_server.url}{lang}/mon-espace")
        assert marie.locator("#person-opposition").is_visible()
        assert marie.locator("main table tbody tr").count() == 2  # the counter's, the holder's
        check_page(marie, errors)  # the person's space, with the requests made about her
        for path in ("/mon-espace/mon-opposition/usages", "/mon-espace/mon-opposition/retrait"):
            marie.goto(f"{live_server.url}{lang}{path}")
            check_page(marie, errors)
