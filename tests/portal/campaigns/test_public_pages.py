"""Campaign landing pages and vanity links, through the web client."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text

from campaigns.models import ReachCounter
from portal.database import db
from tests.campaigns.factories import make_campaign, make_placement

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 marqueur-ua-7f3c"
VISITOR_IP = "203.0.113.77"


@pytest.fixture
def campaign(app):
    with app.app_context():
        session = db.session()
        campaign = make_campaign(session, slug="votre-choix", body_fr="# Pourquoi\n\n<script>x()</script> **Important**")
        make_placement(session, campaign, code="affiche1")
        make_placement(session, campaign, code="poster-en", locale="en")
        draft = make_campaign(session, slug="brouillon", published=False)
        make_placement(session, draft, code="cache1")
        session.commit()
        return campaign.slug


def visit(client, path, **headers):
    return client.get(path, headers={"User-Agent": BROWSER_UA, **headers}, environ_base={"REMOTE_ADDR": VISITOR_IP})


def arrivals(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.coalesce(func.sum(ReachCounter.count), 0))
                                   .where(ReachCounter.step == "arrival"))


def test_the_landing_page_shows_the_sanitised_content_in_french(client, campaign):
    response = visit(client, "/campagnes/votre-choix")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Votre choix compte</h1>" in page and "<h2>Pourquoi</h2>" in page
    assert "<strong>Important</strong>" in page and "<script>x()" not in page


def test_the_landing_page_has_an_english_twin(client, campaign):
    page = visit(client, "/en/campagnes/votre-choix").get_data(as_text=True)
    assert '<html lang="en">' in page and "Your choice matters" in page and "Hello <strong>everyone</strong>" in page


def test_an_unpublished_or_unknown_campaign_is_not_found(client, campaign):
    assert visit(client, "/campagnes/brouillon").status_code == 404
    assert visit(client, "/campagnes/nulle-part").status_code == 404
    assert visit(client, "/c/cache1").status_code == 404
    assert visit(client, "/c/inconnu").status_code == 404
    assert arrivals(client.application) == 0


def test_a_vanity_link_counts_once_then_carries_only_the_placement_code(client, app, campaign):
    response = visit(client, "/c/affiche1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/campagnes/votre-choix?via=affiche1"
    assert response.headers["Cache-Control"] == "no-store"
    # its own referrer policy is kept (not doubled), and the other security headers are added
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert arrivals(app) == 1
    visit(client, "/campagnes/votre-choix?via=affiche1")
    assert arrivals(app) == 1  # the landing page itself counts nothing


def test_an_english_placement_leads_to_the_english_page(client, campaign):
    assert visit(client, "/c/POSTER-EN").headers["Location"] == "/en/campagnes/votre-choix?via=poster-en"


@pytest.mark.parametrize("headers", [
    {"Sec-Purpose": "prefetch"},
    {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
    {"Sec-GPC": "1"},
    {"DNT": "1"},
], ids=["prefetch", "bot", "gpc", "dnt"])
def test_prefetches_bots_and_do_not_track_are_served_but_not_counted(client, app, campaign, headers):
    response = visit(client, "/c/affiche1", **headers)
    assert response.status_code == 302 and response.headers["Location"] == "/campagnes/votre-choix?via=affiche1"
    assert arrivals(app) == 0


def test_a_head_request_is_not_counted(client, app, campaign):
    assert client.head("/c/affiche1", headers={"User-Agent": BROWSER_UA}).status_code == 302
    assert arrivals(app) == 0


def _every_row(app) -> dict[str, list[tuple]]:
    with app.app_context():
        engine = db.engine()
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return {t: [tuple(r) for r in connection.execute(text(f'SELECT * FROM "{t}"'))] for t in tables}


def test_an_anonymous_visit_sets_no_cookie_and_stores_no_address_agent_or_visit(client, app, campaign):
    before = _every_row(app)
    for _ in range(5):
        first = visit(client, "/c/affiche1")
        landing = visit(client, first.headers["Location"])
        for response in (first, landing):
            assert "Set-Cookie" not in response.headers
    assert client.get_cookie("rno_session") is None
    after = _every_row(app)

    assert arrivals(app) == 5
    grown = {t: len(after[t]) - len(before[t]) for t in after if len(after[t]) != len(before[t])}
    assert grown == {"campaign_reach_counters": 1}, "five visits may only add one aggregate row"
    stored = repr(after)
    assert VISITOR_IP not in stored and "marqueur-ua-7f3c" not in stored
    with app.app_context():
        columns = [f"{t}.{c['name']}" for t in after for c in inspect(db.engine()).get_columns(t)]
    words = {"ip", "addr", "address", "agent", "ua", "cookie", "visitor", "visit", "referer", "referrer", "remote"}
    suspicious = [c for c in columns if words & set(c.split(".")[1].lower().split("_"))]
    assert suspicious == []


def test_daily_unique_visitors_are_off_by_default(client, app, campaign):
    visit(client, "/c/affiche1")
    with app.app_context():
        steps = set(db.session().scalars(select(ReachCounter.step)))
    assert steps == {"arrival"}


def test_the_demo_seed_publishes_two_campaigns_with_working_links(app, client, runner):
    result = runner.invoke(args=["registry", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "2 new campaigns" in result.output
    assert "0 new campaigns" in runner.invoke(args=["registry", "seed-demo"]).output
    assert visit(client, "/c/pharmacie").headers["Location"] == "/campagnes/vos-donnees-votre-choix?via=pharmacie"
    assert visit(client, "/c/congress-en").headers["Location"] == "/en/campagnes/professionnels-de-sante?via=congress-en"
    page = visit(client, "/en/campagnes/professionnels-de-sante").get_data(as_text=True)
    assert "Answering your patients about their data" in page
