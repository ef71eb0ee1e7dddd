"""Campaign pages in a real browser: axe-core finds no serious violation, no CSP violation,
and a visit through a vanity link leaves nothing on the device (no cookie, no storage)."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from campaigns.demo import seed_demo_campaigns
from campaigns.models import Campaign, Placement
from campaigns.reach import add_to_counter
from portal.database import db
from registry.staff import create_staff_account, find_account
from tests.e2e.browser import check_page

PASSWORD = "un mot de passe assez long"


@pytest.fixture
def demo(live_server):
    with live_server.app.app_context():
        session = db.session()
        seed_demo_campaigns(session)
        placement = session.scalar(select(Placement).where(Placement.code == "pharmacie"))
        for offset, count in enumerate((35, 4, 18)):
            add_to_counter(session, placement.id, "arrival", dt.date(2026, 11, 20) + dt.timedelta(days=offset), count)
        add_to_counter(session, placement.id, "lesson_viewed", dt.date(2026, 11, 20), 12)
        create_staff_account(session, "campagnes@sante.gouv.fr", "campaign_manager", PASSWORD, actor="test")
        session.commit()
        return session.scalar(select(Campaign.id).where(Campaign.slug == "vos-donnees-votre-choix"))


def test_a_vanity_link_lands_on_the_campaign_page_leaving_nothing_on_the_device(live_server, demo, context, page, console_errors):
    page.goto(live_server.url + "/c/pharmacie")
    assert page.url == live_server.url + "/campagnes/vos-donnees-votre-choix?via=pharmacie"
    assert page.get_by_role("heading", level=1).inner_text() == "Vos données de santé, votre choix"
    check_page(page, console_errors)
    assert context.cookies() == []
    assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]


def test_the_english_campaign_page_passes_axe(live_server, demo, page, console_errors):
    page.goto(live_server.url + "/c/social-en")
    assert page.url == live_server.url + "/en/campagnes/vos-donnees-votre-choix?via=social-en"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Your health data, your choice"
    check_page(page, console_errors)


def sign_in(live_server, page) -> None:
    page.goto(live_server.url + "/staff/connexion")
    page.get_by_label("Adresse électronique").fill("campagnes@sante.gouv.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    with live_server.app.app_context():
        secret = find_account(db.session(), "campagnes@sante.gouv.fr").totp_secret
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/staff/")


def test_the_campaign_manager_pages_and_dashboard_pass_axe(live_server, demo, page, console_errors):
    sign_in(live_server, page)
    page.get_by_role("link", name="Campagnes", exact=True).click()
    check_page(page, console_errors)
    page.get_by_role("link", name="Vos données de santé, votre choix").click()
    check_page(page, console_errors)
    page.get_by_role("link", name="Tableau de bord").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tableau de bord")
    assert page.locator("svg[role=img]").count() == 2
    assert page.get_by_role("cell", name="<10").count() >= 1
    check_page(page, console_errors)
    page.goto(live_server.url + f"/staff/campagnes/{demo}/modifier")
    page.get_by_label("Date de fin").fill("2020-01-01")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("La date de fin doit suivre la date de début.").count() >= 1
    check_page(page, console_errors)
    page.goto(live_server.url + f"/staff/campagnes/{demo}/emplacements/nouveau")
    check_page(page, console_errors)


def test_understand_and_choose_leads_to_the_explanation(live_server, demo, page, console_errors):
    page.goto(live_server.url + "/c/pharmacie")
    with page.expect_navigation():
        page.get_by_role("link", name="Comprendre et choisir").click()
    assert page.url == live_server.url + "/comprendre"
    page.goto(live_server.url + "/c/social-en")
    with page.expect_navigation():
        page.get_by_role("link", name="Understand and choose").click()
    assert page.url == live_server.url + "/en/comprendre"
    check_page(page, console_errors)
