import datetime as dt

import pytest
from sqlalchemy import select

from registry.daily_filings import DailyFilingCounter
from registry.identifiers import parse_identifier
from registry.oppositions import Filing, file_opposition, withdraw_opposition
from registry.purposes import ALL_PURPOSES_MASK, Purpose
from registry.statistics import (
    MASKED,
    ROUNDING,
    StatisticCounter,
    age_band,
    published_statistics,
    record_effective_change,
)
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

ALL = ALL_PURPOSES_MASK
DAY = dt.date(2026, 11, 10)  # a closed day in every test below: published with today=NEXT_DAY
NEXT_DAY = DAY + dt.timedelta(days=1)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon UTC on ``day``: the same Paris day."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc)


def people(n, sex=2, year=85, first_order=1):
    return [parse_identifier(make_nir(sex, year, 5, "75", "056", first_order + i)) for i in range(n)]


def file(session, identifiers, mask=ALL, day=DAY, *, ever_opposed=False):
    for identifier in identifiers:
        record_effective_change(session, identifier, 0, mask, at(day), ever_opposed=ever_opposed)


def withdraw(session, identifiers, mask=ALL, day=DAY):
    for identifier in identifiers:
        record_effective_change(session, identifier, mask, 0, at(day), ever_opposed=True)


def buckets(session, day=None):
    query = select(StatisticCounter)
    if day is not None:
        query = query.where(StatisticCounter.day == day)
    return {(c.dimension, c.bucket): c.count for c in session.scalars(query)}


def published_numbers(stats):
    numbers = [stats.active, *(n for _, n in stats.by_purpose)]
    numbers += [n for _, cells in stats.by_age_sex for n in cells.values()]
    for month in stats.months:
        numbers += [month.filed, month.changed, month.withdrawn, month.active]
    return numbers


@pytest.mark.parametrize(("year", "month", "band"), [
    (8, 1, "18-29"), (25, 1, "0-17"), (26, 12, "0-17"), (85, 5, "30-44"), (50, 1, "75+"), (66, 1, "60-74"),
])
def test_the_age_band_comes_from_the_number(year, month, band):
    identifier = parse_identifier(make_nir(1, year, month, "75", "056", 1))
    assert age_band(identifier, dt.date(2026, 11, 28)) == band


def test_counters_hold_only_daily_aggregates(session):
    file(session, people(3))
    columns = set(StatisticCounter.__table__.columns.keys())
    assert columns == {"id", "day", "dimension", "bucket", "count"}
    assert {c.day for c in session.scalars(select(StatisticCounter))} == {DAY}
    counts = buckets(session)
    assert counts[("action", "filed")] == 3
    assert counts[("active", "all")] == 3
    assert counts[("age_sex", "female:30-44")] == 3


def test_the_action_is_derived_from_the_effective_masks(session):
    (person,) = people(1)
    research, ai = Purpose.RESEARCH.bit, Purpose.AI.bit
    record_effective_change(session, person, 0, research, at(DAY), ever_opposed=False)
    record_effective_change(session, person, research, research | ai, at(DAY), ever_opposed=True)
    record_effective_change(session, person, research | ai, 0, at(DAY), ever_opposed=True)
    record_effective_change(session, person, 0, ai, at(DAY), ever_opposed=True)
    counts = buckets(session)
    assert {k: v for k, v in counts.items() if k[0] == "action"} == {
        ("action", "filed"): 1, ("action", "changed"): 1, ("action", "withdrawn"): 1, ("action", "refiled"): 1,
    }
    assert counts[("active", "all")] == 1
    assert counts[("purpose", "research")] == 0 and counts[("purpose", "ai")] == 1
    assert counts[("age_sex", "female:30-44")] == 2  # filed and re-filed


def test_an_unchanged_effective_opposition_counts_nothing(session):
    (person,) = people(1)
    record_effective_change(session, person, ALL, ALL, at(DAY), ever_opposed=True)
    record_effective_change(session, person, 0, 0, at(DAY), ever_opposed=True)
    assert buckets(session) == {}
    assert session.scalars(select(DailyFilingCounter)).all() == []


def test_several_filings_for_one_person_count_once(session, keyring):
    (person,) = people(1, first_order=700)
    post, counter = Filing(channel="post", actor="agent"), Filing(channel="counter", actor="agent")
    file_opposition(session, keyring, person, [Purpose.RESEARCH], post)
    file_opposition(session, keyring, person, [Purpose.RESEARCH], counter)  # adds nothing in force
    withdraw_opposition(session, keyring, person, counter)  # the post claim still holds it
    assert buckets(session) == {
        ("action", "filed"): 1, ("active", "all"): 1, ("purpose", "research"): 1, ("age_sex", "female:30-44"): 1,
    }
    withdraw_opposition(session, keyring, person, post)
    counts = buckets(session)
    assert counts[("action", "withdrawn")] == 1 and counts[("active", "all")] == 0
    assert ("action", "changed") not in counts and ("action", "refiled") not in counts


def test_changes_are_counted_on_their_paris_day(session):
    (person,) = people(1)
    late_evening_utc = dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.timezone.utc)  # 00:30 on 1 April in Paris
    record_effective_change(session, person, 0, ALL, late_evening_utc, ever_opposed=False)
    assert {c.day for c in session.scalars(select(StatisticCounter))} == {dt.date(2026, 4, 1)}
    assert [(c.day, c.count) for c in session.scalars(select(DailyFilingCounter))] == [(dt.date(2026, 4, 1), 1)]


def test_every_count_under_ten_is_suppressed_and_the_others_rounded(session):
    group = people(12)
    file(session, group)
    withdraw(session, group[:3])
    record_effective_change(session, group[5], ALL, Purpose.AI.bit, at(DAY), ever_opposed=True)
    file(session, people(4, sex=1, year=60, first_order=100), Purpose.RESEARCH.bit)
    stats = published_statistics(session, today=NEXT_DAY)
    (month,) = stats.months
    assert month.month == DAY.replace(day=1)
    # 3 withdrawals are hidden, and the 16 filings masked: 16 - 3 is the change of the 13 in force
    assert month.filed == MASKED and month.withdrawn is None and month.changed is None
    assert month.active == 15 and stats.active == 15  # 13, rounded
    by_purpose = dict(stats.by_purpose)
    assert by_purpose[Purpose.RESEARCH] == 10  # 12: 8 still opposing all purposes, 4 research only
    assert by_purpose[Purpose.AI] is None  # 9: suppressed, not rounded up to 10
    ages = dict(stats.by_age_sex)
    assert ages["30-44"]["female"] == 10  # 12
    assert ages["60-74"]["male"] is None  # 4
    assert all(n is None or n == MASKED or (n >= 10 and n % ROUNDING == 0) for n in published_numbers(stats))


def test_no_statistics_without_oppositions(session):
    stats = published_statistics(session, today=NEXT_DAY)
    assert stats.months == [] and stats.active is None
    assert stats.closed_until == DAY and stats.rounding == 5


def test_filings_and_withdrawals_are_shown_together_or_not_at_all(session):
    group = people(14)
    file(session, group)
    (month,) = published_statistics(session, today=NEXT_DAY).months
    assert month.filed == MASKED and month.withdrawn is None  # 14 filed would reveal 0 withdrawn
    withdraw(session, group[:11])
    file(session, people(9, first_order=100))
    (month,) = published_statistics(session, today=NEXT_DAY).months
    assert (month.filed, month.withdrawn, month.active) == (25, 10, 10)  # exact: 23, 11, 12


def test_a_lone_hidden_age_cell_takes_the_smallest_shown_one_with_it(session):
    order = 1
    for sex in (1, 2):
        for year in (15, 0, 85, 70, 60, 40):  # one birth year per age band
            size = 3 if (sex, year) == (1, 40) else (11 if (sex, year) == (2, 70) else 12)
            file(session, people(size, sex=sex, year=year, first_order=order))
            order += size
    ages = dict(published_statistics(session, today=NEXT_DAY).by_age_sex)
    assert ages["75+"]["male"] is None  # 3
    assert ages["45-59"]["female"] == MASKED  # 11, the smallest exact count shown (12 and 11 both round to 10)
    assert ages["30-44"] == {"female": 10, "male": 10}  # 12 each, rounded


def test_a_change_made_without_the_identifier_counts_everywhere_but_age_and_sex(session):
    record_effective_change(session, None, 0, Purpose.AI.bit, at(DAY), ever_opposed=True)
    assert buckets(session) == {("action", "refiled"): 1, ("active", "all"): 1, ("purpose", "ai"): 1}


def test_filings_are_also_counted_per_paris_day_for_the_whole_country(session):
    group = people(3, first_order=500)
    file(session, group)
    record_effective_change(session, group[0], ALL, Purpose.AI.bit, at(DAY), ever_opposed=True)
    withdraw(session, group[1:2])
    file(session, group[1:2], ever_opposed=True)  # filed again
    counts = [(r.day, r.count) for r in session.scalars(select(DailyFilingCounter))]
    assert counts == [(DAY, 4)]  # 3 filed + 1 refiled; changes and withdrawals do not count
    assert set(DailyFilingCounter.__table__.columns.keys()) == {"day", "count"}


def test_a_change_made_today_is_published_only_once_the_day_has_closed(session):
    file(session, people(12))
    file(session, people(4, first_order=100), day=NEXT_DAY)  # "today"
    today = published_statistics(session, today=NEXT_DAY)
    assert today.closed_until == DAY
    assert today.active == 10 and today.months[0].active == 10  # 12 yesterday; today's 4 are not in
    tomorrow = published_statistics(session, today=NEXT_DAY + dt.timedelta(days=1))
    assert tomorrow.closed_until == NEXT_DAY
    assert tomorrow.active == 15  # 16, now that the day has closed


def test_the_default_today_is_the_current_paris_day(session):
    from registry.daily_filings import paris_day
    from registry.models import utcnow

    now = utcnow()
    file(session, people(12), day=paris_day(now) - dt.timedelta(days=1))
    for identifier in people(12, first_order=100):
        record_effective_change(session, identifier, 0, ALL, now, ever_opposed=False)
    stats = published_statistics(session)
    assert stats.closed_until == paris_day(now) - dt.timedelta(days=1)
    assert stats.active == 10  # the 12 of yesterday only


@pytest.mark.parametrize(("exact", "shown"), [(9, None), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (23, 25)])
def test_published_counts_are_rounded_to_the_nearest_five(session, exact, shown):
    file(session, people(exact), Purpose.RESEARCH.bit)
    stats = published_statistics(session, today=NEXT_DAY)
    assert stats.active == shown
    assert dict(stats.by_purpose)[Purpose.RESEARCH] == shown
    assert buckets(session)[("active", "all")] == exact  # the counters stay exact


def test_filing_cannot_be_used_to_learn_whether_someone_was_already_opposed(session):
    """The oracle: with 23 people opposed to research on a closed day, someone files an
    opposition to research for a person today and watches the published figures. Whether that
    filing changed the person's opposition in force (they were not opposed) or not (they already
    were: the registry then does not call the statistics at all), nothing published today moves,
    and after the day closes both come out as the same rounded figure. Today is the first of a
    month, so that even a new month appearing in the figures would give the filing away."""
    closed, today = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    tomorrow = today + dt.timedelta(days=1)
    file(session, people(23), Purpose.RESEARCH.bit, day=closed)

    # Already opposed: the effective opposition does not change, the registry records nothing.
    already_today = published_statistics(session, today=today)
    already_tomorrow = published_statistics(session, today=tomorrow)

    # Not yet opposed: the effective opposition changes today.
    (target,) = people(1, first_order=900)
    record_effective_change(session, target, 0, Purpose.RESEARCH.bit, at(today, hour=9), ever_opposed=False)
    assert buckets(session, today)[("purpose", "research")] == 1  # the exact counter did move
    newly_today = published_statistics(session, today=today)
    newly_tomorrow = published_statistics(session, today=tomorrow)

    # Today's activity is unavailable today: the published figures are those of the closed days.
    assert newly_today == already_today
    assert newly_today.closed_until == closed
    assert [m.month for m in newly_today.months] == [dt.date(2026, 11, 1)]
    assert dict(newly_today.by_purpose)[Purpose.RESEARCH] == 25  # 23, rounded
    # Once the day has closed, 23 and 24 are both published as 25.
    assert dict(already_tomorrow.by_purpose)[Purpose.RESEARCH] == 25
    assert dict(newly_tomorrow.by_purpose)[Purpose.RESEARCH] == 25
    assert newly_tomorrow.active == already_tomorrow.active == 25
    for stats in (already_today, already_tomorrow, newly_today, newly_tomorrow):
        assert all(n is None or n == MASKED or n % ROUNDING == 0 for n in published_numbers(stats))
