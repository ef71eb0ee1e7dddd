"""The citizen journeys in a real browser, logged in through the real development provider;
axe-core checks every page in French and English."""

import re

import pytest

from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import parse_identifier
from registry.oppositions import current_opposition, opposition_history
from tests.e2e.browser import check_page
from tests.pdf_text import pdf_text

MARIE, KARIM, JULIE, CHILD = (p.nir for p in DEMO_PEOPLE)


def log_in(page, live_server, sub, next_path="/mon-espace"):
    page.goto(f"{live_server.url}/connexion?next={next_path}")
    page.get_by_role("button", name=sub, exact=True).click()
    page.wait_for_url(live_server.url + next_path)


def history(live_server, nir):
    with live_server.app.app_context():
        from portal.keys import keyring

        session = db.session()
        identifier = parse_identifier(nir)
        return current_opposition(session, keyring(), identifier), opposition_history(session, keyring(), identifier)


def fill_birthdate(page, iso_date: str) -> None:
    """The birth date's three boxes: day, month, year."""
    year, month, day = iso_date.split("-")
    for part, value in (("day", day), ("month", month), ("year", year)):
        page.locator(f"#birthdate-{part}").fill(value)


def file_for_myself(page, nir, submit=lambda button: button.click()):
    page.get_by_label(re.compile("numéro de sécurité sociale|social security number")).first.fill(nir)
    if not page.locator("#confirm").is_checked():
        page.locator("label[for=confirm]").click()
    submit(page.locator("main form button[type=submit]"))


@pytest.mark.parametrize("lang", ["", "/en"])
def test_every_citizen_page_passes_axe(live_server, page, console_errors, lang):
    for path in ("/", "/comprendre", "/aide-developpement"):
        page.goto(f"{live_server.url}{lang}{path}")
        check_page(page, console_errors)
    log_in(page, live_server, "demo-julie-parent", f"{lang}/mon-espace")
    check_page(page, console_errors)
    page.goto(f"{live_server.url}{lang}/mon-espace/opposition")
    check_page(page, console_errors)
    file_for_myself(page, "2 90 06 75 056 078 00")  # a wrong key: the error state
    page.locator("#nir-erreur-1").wait_for()  # axe runs on the answer, not on a page still loading
    check_page(page, console_errors)
    page.goto(f"{live_server.url}{lang}/mon-espace/procuration")
    page.locator("main form button[type=submit]").click()  # everything missing: every error state
    page.locator("#attest-erreur-1").wait_for()
    check_page(page, console_errors)
    page.goto(f"{live_server.url}{lang}/mon-espace/opposition")
    file_for_myself(page, JULIE)
    assert re.search(r"RNO(-[A-Z2-9]{4}){4}", page.locator("#reference").inner_text())
    check_page(page, console_errors)
    page.goto(f"{live_server.url}{lang}/mon-espace")
    page.get_by_role("link", name=re.compile("Modifier les usages|Change the purposes")).click()
    page.wait_for_url(f"{live_server.url}{lang}/mon-espace/mon-opposition/usages")  # Julie proved to be the person
    check_page(page, console_errors)
    page.goto(f"{live_server.url}{lang}/mon-espace")
    page.get_by_role("link", name=re.compile("Retirer l'opposition|Withdraw the opt-out")).click()
    page.wait_for_url(f"{live_server.url}{lang}/mon-espace/mon-opposition/retrait")
    check_page(page, console_errors)


def test_a_citizen_files_gets_a_receipt_and_downloads_it(live_server, page):
    page.goto(live_server.url + "/")
    page.locator(".fr-connect").click()
    page.get_by_role("button", name="demo-marie-corse", exact=True).click()
    page.wait_for_url(live_server.url + "/mon-espace")
    assert "Bonjour Marie" in page.content()
    page.get_by_role("link", name="M'opposer pour moi-même").click()
    file_for_myself(page, MARIE)
    reference = page.locator("#reference").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Opposition enregistrée"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le récépissé (PDF)").click()
    with open(download_info.value.path(), "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF") and reference in pdf_text(pdf)
    page.get_by_role("link", name="Retour à mon espace").click()
    assert "Opposition en vigueur" in page.content() and reference in page.content()
    # Marie proved to be the person: her links act on her opposition, not on a claim
    assert page.get_by_role("link", name="Modifier les usages").get_attribute("href") == "/mon-espace/mon-opposition/usages"
    assert page.get_by_role("link", name="Retirer l'opposition").get_attribute("href") == "/mon-espace/mon-opposition/retrait"


def test_a_wrong_number_is_explained_on_the_field_in_french_and_english(live_server, page):
    log_in(page, live_server, "demo-marie-corse")
    page.goto(live_server.url + "/mon-espace/opposition")
    file_for_myself(page, KARIM)
    assert "le premier chiffre (sexe) est différent" in page.locator("#nir-erreur-1").inner_text()
    assert page.locator("#nir").get_attribute("aria-invalid") == "true"
    page.goto(live_server.url + "/en/mon-espace/opposition")
    file_for_myself(page, MARIE[:-2] + "00")
    assert "The key (last 2 digits) does not match the number" in page.locator("#nir-erreur-1").inner_text()
    assert history(live_server, MARIE)[1] == []


def test_submitting_twice_leaves_exactly_one_active_opposition(live_server, page):
    log_in(page, live_server, "demo-marie-corse")
    page.goto(live_server.url + "/mon-espace/opposition")
    file_for_myself(page, MARIE, submit=lambda button: button.dblclick())
    # the second click aborts the first submission's navigation in the browser: wait for the
    # receipt itself rather than for one navigation, which may be the aborted one
    page.locator("#reference").wait_for()
    assert re.search(r"/mon-espace/recus/RNO-", page.url)
    page.wait_for_load_state()
    page.go_back()
    if page.locator("#nir").count():  # the form again, as the browser kept it: submit it again
        file_for_myself(page, MARIE)
        page.locator("#reference").wait_for()
    state, versions = history(live_server, MARIE)
    assert state.active and len(versions) == 1


def test_change_withdraw_with_confirmation_and_file_again(live_server, page):
    log_in(page, live_server, "demo-karim-maroc", "/en/mon-espace")
    page.goto(live_server.url + "/en/mon-espace/opposition")
    file_for_myself(page, KARIM)
    page.goto(live_server.url + "/en/mon-espace")
    assert page.get_by_role("link", name="Withdraw the opt-out").get_attribute("href") == "/en/mon-espace/mon-opposition/retrait"
    page.get_by_role("link", name="Change the purposes").click()
    page.locator("label[for=scope-1]").click()
    page.get_by_text("Scientific research").click()
    page.locator("main form button[type=submit]").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Purposes changed"
    page.goto(live_server.url + "/en/mon-espace")
    page.get_by_role("link", name="Withdraw the opt-out").click()
    assert "Do you confirm the withdrawal?" in page.content()
    page.get_by_role("button", name="Confirm the withdrawal").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Opt-out withdrawn"
    page.goto(live_server.url + "/en/mon-espace")
    assert "No opt-out in force" in page.content()
    page.get_by_role("link", name="Opt out again").click()
    page.locator("main form button[type=submit]").click()
    state, versions = history(live_server, KARIM)
    assert state.active and [v.action for v in versions] == ["filed", "changed", "withdrawn", "refiled"]


def test_a_parent_files_for_her_child_and_withdraws_it(live_server, page):
    log_in(page, live_server, "demo-julie-parent")
    page.goto(live_server.url + "/mon-espace")
    page.get_by_role("link", name="M'opposer pour un enfant ou un majeur protégé").click()
    page.locator("label[for=proxy_for-0]").click()
    page.locator("#nir").fill(CHILD)
    fill_birthdate(page, "2017-03-09")
    page.locator("label[for=attest]").click()
    page.locator("main form button[type=submit]").click()
    assert "ne correspond pas à l'année de naissance indiquée" in page.locator("#nir-erreur-1").inner_text()
    fill_birthdate(page, "2018-03-09")
    page.locator("label[for=attest]").click() if not page.locator("#attest").is_checked() else None
    page.locator("main form button[type=submit]").click()
    assert page.locator("#reference").is_visible()
    # a proxy's receipt speaks of its own request only
    assert page.get_by_role("heading", level=1).inner_text() == "Demande enregistrée"
    page.goto(live_server.url + "/mon-espace")
    card = page.locator("section.fr-card", has_text="Enfant mineur")
    assert "Votre demande est en vigueur" in card.text_content()  # as written (badges are upper-cased)
    assert "Opposition en vigueur" not in page.content()  # Julie has not proved to be anyone
    withdraw = card.get_by_role("link", name="Retirer ma demande")
    assert re.fullmatch(r"/mon-espace/oppositions/\d+/retrait", withdraw.get_attribute("href"))
    assert re.fullmatch(r"/mon-espace/oppositions/\d+/usages",
                        card.get_by_role("link", name="Modifier ma demande").get_attribute("href"))
    withdraw.click()
    page.get_by_role("button", name="Confirmer le retrait").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Votre demande a pris fin"
    page.goto(live_server.url + "/mon-espace")
    assert "Votre demande a pris fin" in page.locator("section.fr-card", has_text="Enfant mineur").text_content()
    state, versions = history(live_server, CHILD)
    assert not state.active and [(v.actor, v.proxy_for) for v in versions] == [("proxy", "minor")] * 2


def test_logout_ends_the_provider_session(live_server, page):
    log_in(page, live_server, "demo-marie-corse")
    page.get_by_role("button", name="Se déconnecter").click()
    page.locator("form button[type=submit]").first.click()  # the provider's "end session" form
    page.wait_for_url(live_server.url + "/")
    assert "Vous êtes déconnecté." in page.content()
    page.goto(live_server.url + "/mon-espace")
    assert not page.url.startswith(live_server.url + "/mon-espace")
