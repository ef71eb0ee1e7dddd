"""The site header on a phone (375 px wide): every header link (sign in, my space, sign out,
the other language) is reachable, has a size and works, through the design system's menu
button when JavaScript runs and laid out in the page when it does not; the same on a
professional's page and in the back-office, whose header is its own."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from tests.e2e.browser import AXE_SCRIPT, check_page
from tests.e2e.test_citizen_journeys import log_in
from tests.e2e.test_staff import make_account, sign_in_with_totp  # noqa: F401  (a fixture)

PHONE = {"width": 375, "height": 812}


@contextmanager
def phone(browser, console_errors, *, javascript: bool):
    """A page in a fresh profile at phone size, with or without JavaScript."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE, java_script_enabled=javascript)
    context.add_init_script(path=str(AXE_SCRIPT))
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        yield page
    finally:
        context.close()


def header(page):
    return page.locator("header[role=banner]")


def open_menu(page, javascript: bool) -> None:
    """With JavaScript the header's links sit behind the menu button; without it, they are laid
    out in the page and the button (which could not work) is not shown."""
    menu = header(page).get_by_role("button", name="Menu", exact=True)
    if javascript:
        assert menu.is_visible()
        menu.click()
        header(page).get_by_role("button", name=re.compile("^(Fermer|Close)$")).wait_for()
    else:
        assert not menu.is_visible()


def reachable(page, role: str, name: str):
    """The visible header control of this role and name (the main menu may hold a link of the same
    name), each with a size a finger can press."""
    controls = header(page).get_by_role(role, name=name, exact=True)
    assert controls.count() >= 1, f"{role} {name!r}: none visible"
    for control in controls.all():
        box = control.bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, f"{role} {name!r}: {box}"
    return controls.first


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_visitor_on_a_phone_reaches_sign_in_and_the_other_language(live_server, browser, console_errors,
                                                                    javascript):
    with phone(browser, console_errors, javascript=javascript) as page:
        page.goto(live_server.url + "/comprendre")
        if javascript:
            assert not header(page).get_by_role("link", name="Se connecter").is_visible()  # behind the button
            check_page(page, console_errors)
        open_menu(page, javascript)
        if javascript:
            check_page(page, console_errors)  # the open menu too
        reachable(page, "link", "Accueil")
        reachable(page, "link", "English").click()
        page.wait_for_url(live_server.url + "/en/comprendre")
        open_menu(page, javascript)
        reachable(page, "link", "Français")
        if javascript:
            check_page(page, console_errors)
        reachable(page, "link", "Log in").click()
        page.wait_for_url(lambda url: "/connexion" in url or "/authorize" in url)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_citizen_on_a_phone_reaches_their_space_and_signs_out(live_server, browser, console_errors, javascript):
    with phone(browser, console_errors, javascript=javascript) as page:
        log_in(page, live_server, "demo-marie-corse", "/comprendre")
        open_menu(page, javascript)
        reachable(page, "link", "Mon espace").click()
        page.wait_for_url(live_server.url + "/mon-espace")
        open_menu(page, javascript)
        reachable(page, "link", "English")
        if javascript:
            check_page(page, console_errors)
        reachable(page, "button", "Se déconnecter").click()
        page.locator("form button[type=submit]").first.click()  # the provider's "end session" form
        page.wait_for_url(live_server.url + "/")
        assert "Vous êtes déconnecté." in page.content()
        open_menu(page, javascript)
        reachable(page, "link", "Se connecter")
        page.goto(live_server.url + "/mon-espace")
        assert not page.url.startswith(live_server.url + "/mon-espace")  # signed out for real


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_professional_page_on_a_phone_keeps_its_header_links(live_server, browser, console_errors, javascript):
    with phone(browser, console_errors, javascript=javascript) as page:
        page.goto(live_server.url + "/pro/")
        open_menu(page, javascript)
        reachable(page, "link", "Se connecter")
        if javascript:
            check_page(page, console_errors)
        reachable(page, "link", "English").click()
        page.wait_for_url(live_server.url + "/en/pro/")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_agent_on_a_phone_signs_out_from_the_back_office_header(live_server, browser, console_errors,
                                                                  make_account, javascript):
    email = make_account("agent")
    with phone(browser, console_errors, javascript=javascript) as page:
        sign_in_with_totp(page, live_server, email)
        page.wait_for_url(live_server.url + "/staff/")
        open_menu(page, javascript)
        assert email in header(page).inner_text()
        for citizen_link in ("Se connecter", "Mon espace", "English"):
            assert header(page).get_by_role("link", name=citizen_link).count() == 0, citizen_link
        if javascript:
            check_page(page, console_errors)
        reachable(page, "button", "Se déconnecter").click()
        page.wait_for_url(live_server.url + "/staff/connexion")
        assert "Vous êtes déconnecté." in page.content()
        page.goto(live_server.url + "/staff/")
        assert page.url.startswith(live_server.url + "/staff/connexion")  # signed out for real
