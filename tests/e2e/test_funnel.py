"""The literacy funnel in a real browser: a visit that arrives by a vanity link and follows the
campaign page's links through a module counts each step once for its placement, and the campaign
manager's dashboard shows it. The code travels in the links (``?via=``), never on the device."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.demo import seed_demo_campaigns
from campaigns.models import STEPS, Campaign, Placement
from campaigns.reach import add_to_counter
from portal.campaigns.counting import today
from portal.database import db
from registry.staff import create_staff_account
from tests.e2e.browser import AXE_SCRIPT, check_page
from tests.e2e.test_campaigns import PASSWORD, sign_in
from tests.e2e.test_learning import answer_drawn_quiz, follow

ALREADY = 9  # counted before the walk: one more shows 10, over the "<10" threshold
# Headless chromium names itself "HeadlessChrome", which the counters take for a robot
VISITOR = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def context(browser):
    """A browser profile that looks like a visitor's, with axe-core injected."""
    context = browser.new_context(locale="fr-FR", user_agent=VISITOR)
    context.add_init_script(path=str(AXE_SCRIPT))
    yield context
    context.close()


@pytest.fixture
def campaign_id(live_server):
    with live_server.app.app_context():
        session = db.session()
        seed_demo_campaigns(session)
        placement = session.scalar(select(Placement).where(Placement.code == "pharmacie"))
        for step in STEPS:
            add_to_counter(session, placement.id, step, today(), ALREADY)
        create_staff_account(session, "campagnes@sante.gouv.fr", "campaign_manager", PASSWORD, actor="test")
        session.commit()
        return session.scalar(select(Campaign.id).where(Campaign.slug == "vos-donnees-votre-choix"))


def placement_row(page) -> list[str]:
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Affiches en pharmacie"))
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_a_visit_from_a_poster_counts_every_step_once_and_the_dashboard_shows_it(
        live_server, campaign_id, context, page, console_errors):
    page.goto(live_server.url + "/c/pharmacie")
    check_page(page, console_errors)
    follow(page, page.get_by_role("link", name="Vos données de santé : à quoi servent-elles ?"))
    check_page(page, console_errors)
    follow(page, page.get_by_role("link", name="D'abord pour vous soigner"))
    follow(page, page.get_by_role("link", name="Leçon suivante"))
    follow(page, page.get_by_role("link", name="Leçon suivante"))
    follow(page, page.get_by_role("link", name="Passer le quiz"))
    check_page(page, console_errors)
    answer_drawn_quiz(page, "vos-donnees-de-sante", right=True)
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert "Réussi" in page.get_by_role("heading", level=2).first.inner_text()
    # Nothing about the campaign was left on the device: only the quiz's own progress and the form session
    assert {cookie["name"] for cookie in context.cookies()} <= {"rno_progress", "rno_session", "session"}
    assert not any("pharmacie" in cookie["value"] for cookie in context.cookies())

    staff = context.browser.new_context(locale="fr-FR")
    try:
        manager = staff.new_page()
        sign_in(live_server, manager)
        manager.goto(live_server.url + f"/staff/campagnes/{campaign_id}/tableau-de-bord")
        # arrival, lesson viewed, quiz started, completed, passed: each once more than before the walk
        assert placement_row(manager)[2:7] == ["10"] * 5
    finally:
        staff.close()


def test_a_code_that_does_not_exist_is_ignored(live_server, campaign_id, page, console_errors):
    response = page.goto(live_server.url + "/modules/vos-donnees-de-sante/lecons/soigner?via=nulle-part")
    assert response.status == 200
    response = page.goto(live_server.url + "/modules/vos-donnees-de-sante/quiz?via=" + "x" * 300)
    assert response.status == 200
    check_page(page, console_errors)
