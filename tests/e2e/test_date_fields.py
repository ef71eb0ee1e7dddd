"""Birth dates typed as a person reading the form types them, in browsers set to British and
American English: the form's hint says day, month, year, and the date the registry checks is
the one meant, whatever order the browser's own date picker would have used."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.models import Claim
from tests.e2e.browser import AXE_SCRIPT, check_page
from tests.e2e.conftest import live_config
from tests.e2e.test_citizen_journeys import log_in
from tests.e2e.test_staff import choose, make_account, sign_in_with_totp  # noqa: F401  (a fixture)
from tests.registry.nir_factory import make_nir, spaced

CHILD = DEMO_PEOPLE[3]  # born on 9 March 2018
STAFF_PERSON = make_nir(2, 85, 2, "2A", "004", 123)  # a woman born in February 1985


@pytest.fixture
def live_server_config(database_url, oidc_provider) -> dict:
    return live_config(database_url, FRANCECONNECT_ISSUER=oidc_provider.url, STAFF_BASE_DELAY=0)


@contextmanager
def browser_in(browser, locale: str, width: int = 1280):
    """A browser whose language (and so its date picker's order) is ``locale``."""
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    context.add_init_script(path=str(AXE_SCRIPT))
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        yield page, errors
    finally:
        context.close()


def type_date_as_the_hint_says(page, legend: str, day: str, month: str, year: str) -> None:
    """What a person does with the date as the form presents it: three boxes (day, month, year)
    each get their part; a single box whose hint reads "jj/mm/aaaa" gets the date typed in
    that order, key by key."""
    group = page.get_by_role("group", name=re.compile(re.escape(legend)))
    if group.count() and group.get_by_label("Jour").count():
        for label, value in (("Jour", day), ("Mois", month), ("Année", year)):
            box = group.get_by_label(label)
            box.click()
            page.keyboard.type(value)
        return
    field = page.get_by_label(re.compile(re.escape(legend)))
    assert "jj/mm/aaaa" in field.evaluate("e => e.labels[0].textContent").lower()
    field.focus()
    page.keyboard.type(f"{day}/{month}/{year}")


@pytest.mark.parametrize("locale", ["en-GB", "en-US"])
def test_a_parent_types_her_childs_birth_date_as_the_hint_says(live_server, browser, locale):
    with browser_in(browser, locale) as (page, errors):
        log_in(page, live_server, "demo-julie-parent", "/mon-espace/procuration")
        page.locator("label[for=proxy_for-0]").click()
        page.locator("#nir").fill(CHILD.nir)
        type_date_as_the_hint_says(page, "Sa date de naissance", "09", "03", "2018")
        page.locator("label[for=attest]").click()
        page.locator("main form button[type=submit]").click()
        assert page.locator("#reference").is_visible(), page.locator("main").inner_text()
        with live_server.app.app_context():  # the proxy's view ends on the 18th birthday of 9 March 2018
            claims = db.session().scalars(select(Claim).where(Claim.relation == "proxy")).all()
            assert [c.visible_until for c in claims] == [dt.date(2036, 3, 9)]


@pytest.mark.parametrize("locale", ["en-GB", "en-US"])
def test_an_agent_types_the_birth_date_as_the_hint_says(live_server, browser, make_account, locale):  # noqa: F811
    with browser_in(browser, locale) as (page, errors):
        sign_in_with_totp(page, live_server, make_account("agent"))
        page.goto(live_server.url + "/staff/depot")
        page.get_by_label("Numéro de sécurité sociale (NIR) de la personne").fill(spaced(STAFF_PERSON))
        choose(page, "Femme")
        type_date_as_the_hint_says(page, "Date de naissance de la personne", "14", "02", "1985")
        choose(page, "Au guichet")
        page.get_by_role("button", name="Enregistrer la demande").click()
        assert "/staff/recu/RNO-" in page.url, page.locator("main").inner_text()


def birth_date_group(page, legend: str):
    return page.get_by_role("group", name=re.compile(re.escape(legend)))


@pytest.mark.parametrize("width", [375, 1280])
def test_an_impossible_or_partial_date_is_named_on_its_field(live_server, browser, width):
    with browser_in(browser, "fr-FR", width) as (page, errors):
        log_in(page, live_server, "demo-julie-parent", "/mon-espace/procuration")
        check_page(page, errors)
        page.locator("label[for=proxy_for-0]").click()
        page.locator("#nir").fill(CHILD.nir)
        group = birth_date_group(page, "Sa date de naissance")
        group.get_by_label("Jour").fill("31")
        group.get_by_label("Mois").fill("02")
        group.get_by_label("Année").fill("2018")
        page.locator("label[for=attest]").click()
        page.locator("main form button[type=submit]").click()
        error = page.locator("#birthdate-erreur-1")
        assert "date de naissance" in error.inner_text() and "n'existe pas" in error.inner_text()
        assert page.locator("#birthdate-day").get_attribute("aria-invalid") == "true"
        assert "birthdate-erreur-1" in page.locator("#birthdate").get_attribute("aria-labelledby")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        check_page(page, errors)
        group = birth_date_group(page, "Sa date de naissance")
        assert group.get_by_label("Jour").input_value() == "31"  # what was typed stays to be corrected
        group.get_by_label("Jour").fill("9")
        group.get_by_label("Mois").fill("")
        page.locator("label[for=attest]").click() if not page.locator("#attest").is_checked() else None
        page.locator("main form button[type=submit]").click()
        error = page.locator("#birthdate-erreur-1")
        assert "date de naissance" in error.inner_text() and "mois" in error.inner_text()
        assert page.locator("#birthdate-month").get_attribute("aria-invalid") == "true"
        assert page.locator("#birthdate-day").get_attribute("aria-invalid") is None
        check_page(page, errors)
        page.goto(live_server.url + "/en/mon-espace/procuration")
        page.locator("main form button[type=submit]").click()
        assert "date of birth" in page.locator("#birthdate-erreur-1").inner_text().lower()
        check_page(page, errors)


def test_the_self_birth_date_is_not_offered_for_autofill_on_someone_elses_form(live_server, browser):
    """The proxy and staff forms ask for someone else's date: the browser must not fill in the
    user's own (autocomplete bday-* is for one's own date only)."""
    with browser_in(browser, "fr-FR") as (page, errors):
        log_in(page, live_server, "demo-julie-parent", "/mon-espace/procuration")
        for part in ("day", "month", "year"):
            box = page.locator(f"#birthdate-{part}")
            assert box.get_attribute("inputmode") == "numeric"
            assert box.get_attribute("autocomplete") == "off"
