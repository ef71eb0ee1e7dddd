import datetime as dt

import pytest
from sqlalchemy import func, select

from campaigns.errors import UnknownStep
from campaigns.models import DailyFilingCounter, ReachCounter
from campaigns.purge import purge_old_aggregates, retention_cutoff
from campaigns.reach import UniqueVisitors, count_filing, count_step, should_count
from tests.campaigns.factories import make_campaign, make_placement

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"}
DAY = dt.date(2026, 3, 14)


def counts(session):
    return {(r.placement_id, r.day, r.step): r.count for r in session.scalars(select(ReachCounter))}


def test_an_ordinary_browser_visit_is_counted():
    assert should_count("GET", BROWSER)


@pytest.mark.parametrize("headers", [
    {**BROWSER, "Sec-Purpose": "prefetch"},
    {**BROWSER, "Sec-Purpose": "prefetch;prerender"},
    {**BROWSER, "Purpose": "prefetch"},
    {**BROWSER, "X-Moz": "prefetch"},
    {**BROWSER, "X-Purpose": "preview"},
], ids=["sec-purpose", "prerender", "purpose", "x-moz", "x-purpose"])
def test_prefetches_are_not_counted(headers):
    assert not should_count("GET", headers)


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0", "WhatsApp/2.23", "curl/8.5.0", "",
])
def test_bots_and_link_unfurlers_are_not_counted(agent):
    assert not should_count("GET", {"User-Agent": agent})


@pytest.mark.parametrize("header", [{"Sec-GPC": "1"}, {"DNT": "1"}, {"sec-gpc": "1"}])
def test_a_do_not_track_signal_is_respected(header):
    assert not should_count("GET", {**BROWSER, **header})
    assert should_count("GET", {**BROWSER, "DNT": "0"})


def test_head_requests_are_not_arrivals():
    assert not should_count("HEAD", BROWSER)


def test_each_step_adds_one_to_its_daily_cell(session):
    placement = make_placement(session, make_campaign(session))
    for _ in range(3):
        assert count_step(session, "affiche1", "arrival", DAY)
    assert count_step(session, "AFFICHE1", "quiz_passed", DAY)
    assert count_step(session, "affiche1", "arrival", DAY + dt.timedelta(days=1))
    assert counts(session) == {
        (placement.id, DAY, "arrival"): 3,
        (placement.id, DAY, "quiz_passed"): 1,
        (placement.id, DAY + dt.timedelta(days=1), "arrival"): 1,
    }


def test_an_unknown_code_counts_nothing(session):
    assert not count_step(session, "nulle-part", "arrival", DAY)
    assert session.scalar(select(func.count()).select_from(ReachCounter)) == 0


def test_an_unknown_step_is_refused(session):
    make_placement(session, make_campaign(session))
    with pytest.raises(UnknownStep):
        count_step(session, "affiche1", "clicked", DAY)


def test_filings_are_counted_per_day_for_the_whole_country(session):
    count_filing(session, DAY)
    count_filing(session, DAY)
    assert [(r.day, r.count) for r in session.scalars(select(DailyFilingCounter))] == [(DAY, 2)]
    assert {c.name for c in DailyFilingCounter.__table__.columns} == {"day", "count"}


def test_unique_visitors_are_recognised_within_a_day_only():
    visitors = UniqueVisitors()
    assert visitors.first_visit_today(1, "192.0.2.1", "agent", DAY)
    assert not visitors.first_visit_today(1, "192.0.2.1", "agent", DAY)
    assert visitors.first_visit_today(2, "192.0.2.1", "agent", DAY)
    assert visitors.first_visit_today(1, "192.0.2.1", "agent", DAY + dt.timedelta(days=1))


def test_the_unique_visitor_salt_changes_every_day():
    visitors = UniqueVisitors()
    visitors.first_visit_today(1, "a", "b", DAY)
    first_salt = visitors._salt
    visitors.first_visit_today(1, "a", "b", DAY + dt.timedelta(days=1))
    assert visitors._salt != first_salt and len(visitors._seen) == 1


@pytest.mark.parametrize("today, cutoff", [
    (dt.date(2026, 11, 28), dt.date(2024, 10, 28)),
    (dt.date(2026, 3, 31), dt.date(2024, 2, 29)),
    (dt.date(2027, 1, 15), dt.date(2024, 12, 15)),
])
def test_the_retention_is_25_months(today, cutoff):
    assert retention_cutoff(today) == cutoff


def test_the_purge_drops_aggregates_older_than_25_months_only(session):
    placement = make_placement(session, make_campaign(session))
    today = dt.date(2026, 11, 28)
    old, kept = dt.date(2024, 10, 27), dt.date(2024, 10, 28)
    for day in (old, kept):
        count_step(session, "affiche1", "arrival", day)
        count_filing(session, day)
    assert purge_old_aggregates(session, today) == 2
    assert list(counts(session)) == [(placement.id, kept, "arrival")]
    assert [r.day for r in session.scalars(select(DailyFilingCounter))] == [kept]
