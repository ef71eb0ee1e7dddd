import datetime as dt

from campaigns.reach import add_to_counter, count_filing
from campaigns.reporting import campaign_report, csv_rows, national_filings_by_day
from tests.campaigns.factories import make_campaign, make_placement

DAY = dt.date(2026, 3, 14)


def test_counts_under_ten_are_suppressed_but_totals_use_the_raw_counts(session):
    campaign = make_campaign(session)
    poster = make_placement(session, campaign, code="affiche1", declared_reach=5000)
    radio = make_placement(session, campaign, code="radio1", channel="radio", declared_reach=None)
    add_to_counter(session, poster.id, "arrival", DAY, 6)
    add_to_counter(session, radio.id, "arrival", DAY, 7)
    add_to_counter(session, poster.id, "arrival", DAY + dt.timedelta(days=2), 25)
    add_to_counter(session, poster.id, "quiz_passed", DAY, 3)
    session.expire_all()

    report = campaign_report(session, campaign)

    assert [(d.day, d.count) for d in report.arrivals_by_day] == [
        (DAY, 13), (DAY + dt.timedelta(days=1), None), (DAY + dt.timedelta(days=2), 25)]
    assert [(s.step, s.count) for s in report.funnel] == [
        ("arrival", 38), ("lesson_viewed", None), ("quiz_started", None), ("quiz_completed", None),
        ("quiz_passed", None)]
    poster_report, radio_report = report.placements
    assert radio_report.arrivals is None and radio_report.declared_reach is None
    assert poster_report.arrivals is None, "31 shown beside the total 38 would give the radio's 7"
    assert poster_report.declared_reach == 5000
    assert report.declared_reach == 5000


def test_the_csv_export_shows_small_counts_as_under_ten(session):
    campaign = make_campaign(session)
    poster = make_placement(session, campaign)
    add_to_counter(session, poster.id, "arrival", DAY, 4)
    session.expire_all()
    rows = csv_rows(campaign_report(session, campaign))
    assert rows[0] == ["campaign", "placement", "channel", "day", "step", "count"]
    assert ["test-campagne", "affiche1", "qr_poster", "2026-03-14", "arrival", "<10"] in rows
    assert ["test-campagne", "affiche1", "qr_poster", "total", "declared_reach", "5000"] in rows
    assert not any(row[-1] == "4" for row in rows)


def test_national_filings_are_suppressed_too(session):
    for _ in range(12):
        count_filing(session, DAY)
    count_filing(session, DAY + dt.timedelta(days=1))
    assert [(d.day, d.count) for d in national_filings_by_day(session)] == [(DAY, 12), (DAY + dt.timedelta(days=1), None)]


def test_no_hidden_count_can_be_found_from_the_total_and_the_shown_ones():
    from campaigns.reporting import protect

    assert protect([31, 7]) == [None, None]  # 38 - 31 would give 7
    assert protect([40, 25, 3]) == [40, None, None]  # the smallest shown cell covers the 3
    assert protect([40, 25, 0]) == [40, 25, None]  # hidden zeros reveal nobody
    assert protect([4, 3, 5, 50]) == [None, None, None, 50]  # hidden together: 12, no single one found
    assert protect([9, 9]) == [None, None]
    for row in ([31, 7], [40, 25, 3], [12, 11, 2, 1], [100, 5, 5, 60]):
        shown = protect(row)
        hidden = [c for c, s in zip(row, shown) if s is None]
        assert not 0 < sum(hidden) < 10, row
        assert all(s is None or s >= 10 for s in shown)


def test_the_dashboard_rows_are_protected_per_day_as_well(session):
    campaign = make_campaign(session)
    poster = make_placement(session, campaign, code="affiche1")
    flyer = make_placement(session, campaign, code="courriel1", channel="email")
    add_to_counter(session, poster.id, "arrival", DAY, 30)
    add_to_counter(session, flyer.id, "arrival", DAY, 2)
    session.expire_all()
    report = campaign_report(session, campaign)
    assert [d.count for d in report.arrivals_by_day] == [32]
    assert [p.arrivals_by_day[0].count for p in report.placements] == [None, None]
