"""The back-office's own chrome in a real browser, at phone and desktop widths: its header (the
agent signed in and the sign-out, never the citizens' sign-in or space), titles said once, the
campaign form's hints whole, a way back from the campaign preview, a warehouse client never used
shown as such, and an audit table a keyboard can scroll (axe-core on each page)."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from campaigns.demo import seed_demo_campaigns
from campaigns.models import Campaign
from portal.database import db
from registry.staff import create_staff_account, find_account
from tests.e2e.browser import check_page
from tests.e2e.conftest import live_config

PASSWORD = "un mot de passe assez long"
SERVICE = "Registre national d'opposition"


@pytest.fixture
def live_server_config(database_url) -> dict:
    return live_config(database_url, STAFF_BASE_DELAY=0)


@pytest.fixture(params=[375, 1280], ids=["phone", "desktop"])
def width(request, page) -> int:
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def sign_in(live_server, page, role: str) -> str:
    """A new account of this role, signed in through the pages (password, then a TOTP code)."""
    email = f"{role}@sante.gouv.fr"
    with live_server.app.app_context():
        session = db.session()
        create_staff_account(session, email, role, PASSWORD, actor="test")
        session.commit()
    page.goto(live_server.url + "/staff/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    with live_server.app.app_context():
        secret = find_account(db.session(), email).totp_secret
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/staff/")
    return email


def assert_staff_header(page, email: str) -> None:
    header = page.locator("header[role=banner]")
    text = header.text_content()
    assert email in text and "Espace agents" in text
    for citizen in ("Se connecter", "Mon espace", "English"):
        assert citizen not in text, citizen
    assert header.locator("button[type=submit]", has_text="Se déconnecter").count() >= 1  # behind "Menu" on a phone


def test_the_back_office_wears_its_own_header_and_says_its_title_once(live_server, page, console_errors, width):
    page.goto(live_server.url + "/staff/connexion")
    assert page.title() == f"Connexion - Espace agents - {SERVICE}"
    assert "Se connecter" not in page.locator("header[role=banner]").text_content()
    check_page(page, console_errors)
    email = sign_in(live_server, page, "registry_admin")
    assert page.title() == f"Espace agents - {SERVICE}"
    assert_staff_header(page, email)
    check_page(page, console_errors)
    page.goto(live_server.url + "/staff/audit")
    assert page.title() == f"Journal d'audit - Espace agents - {SERVICE}"
    assert_staff_header(page, email)


def test_the_audit_table_is_a_region_the_keyboard_can_scroll(live_server, page, console_errors, width):
    sign_in(live_server, page, "registry_admin")
    page.goto(live_server.url + "/staff/audit")
    region = page.get_by_role("region", name="Événements, du plus récent au plus ancien")
    region.focus()
    assert region.evaluate("element => element === document.activeElement")
    if width == 375:  # too wide for a phone: it scrolls, by keyboard too
        assert region.evaluate("element => element.scrollWidth > element.clientWidth")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    check_page(page, console_errors)  # axe: scrollable-region-focusable


def test_a_warehouse_client_never_used_says_so(live_server, page, console_errors, width):
    sign_in(live_server, page, "registry_admin")
    page.goto(live_server.url + "/staff/entrepots")
    check_page(page, console_errors)  # no client yet: nothing in the table to focus but the table
    page.get_by_label("Nom de l'entrepôt").fill("EDS des Hauts")
    page.get_by_role("button", name="Créer le client").click()
    row = page.get_by_role("row", name=re.compile("EDS des Hauts"))
    status = row.get_by_role("cell").nth(2).text_content()  # as written (badges are upper-cased)
    assert "Jamais utilisé" in status and "À jour" not in status
    check_page(page, console_errors)


@pytest.fixture
def campaign_id(live_server) -> int:
    with live_server.app.app_context():
        session = db.session()
        seed_demo_campaigns(session)
        session.commit()
        return session.scalar(select(Campaign.id).where(Campaign.slug == "vos-donnees-votre-choix"))


def test_campaign_forms_show_their_hints_whole_and_the_preview_leads_back(live_server, page, console_errors,
                                                                          width, campaign_id):
    email = sign_in(live_server, page, "campaign_manager")
    page.goto(live_server.url + "/staff/campagnes/nouvelle")
    hint = page.locator("#slug-aide").inner_text()
    assert re.search(r"la page sera à /campagnes/<\w+>\.", hint), hint
    assert_staff_header(page, email)
    check_page(page, console_errors)
    page.goto(live_server.url + f"/staff/campagnes/{campaign_id}/emplacements/nouveau")
    hint = page.locator("#code-aide").inner_text()
    assert re.search(r"/c/<\w+>\. Laissez vide", hint), hint
    check_page(page, console_errors)
    for language, heading in (("français", "Vos données de santé, votre choix"),
                              ("anglais", "Your health data, your choice")):
        page.goto(live_server.url + f"/staff/campagnes/{campaign_id}")
        page.get_by_role("link", name=f"Aperçu en {language}").click()
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert_staff_header(page, email)
        check_page(page, console_errors)
        page.get_by_role("link", name="Retour à la campagne").click()
        page.wait_for_url(live_server.url + f"/staff/campagnes/{campaign_id}")
