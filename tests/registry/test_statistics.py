import datetime as dt

import pytest
from sqlalchemy import select

from registry.identifiers import parse_identifier
from registry.oppositions import Filing, change_purposes, file_opposition, withdraw_opposition
from registry.purposes import Purpose
from registry.statistics import MASKED, StatisticCounter, age_band, published_statistics
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db


def people(n, sex=2, year=85, first_order=1):
    return [parse_identifier(make_nir(sex, year, 5, "75", "056", first_order + i)) for i in range(n)]


@pytest.mark.parametrize(("year", "month", "band"), [
    (8, 1, "18-29"), (25, 1, "0-17"), (26, 12, "0-17"), (85, 5, "30-44"), (50, 1, "75+"), (66, 1, "60-74"),
])
def test_the_age_band_comes_from_the_number(year, month, band):
    identifier = parse_identifier(make_nir(1, year, month, "75", "056", 1))
    assert age_band(identifier, dt.date(2026, 11, 28)) == band


def test_counters_hold_only_aggregates(session, keyring):
    for identifier in people(3):
        file_opposition(session, keyring, identifier)
    columns = set(StatisticCounter.__table__.columns.keys())
    assert columns == {"id", "month", "dimension", "bucket", "count"}
    buckets = {(c.dimension, c.bucket): c.count for c in session.scalars(select(StatisticCounter))}
    assert buckets[("action", "filed")] == 3
    assert buckets[("active", "all")] == 3
    assert buckets[("age_sex", "female:30-44")] == 3


def test_every_count_under_ten_is_suppressed(session, keyring):
    group = people(12)
    for identifier in group:
        file_opposition(session, keyring, identifier)
    for identifier in group[:3]:
        withdraw_opposition(session, keyring, identifier)
    change_purposes(session, keyring, group[5], [Purpose.AI])
    for identifier in people(4, sex=1, year=60, first_order=100):
        file_opposition(session, keyring, identifier, [Purpose.RESEARCH], Filing(channel="phone", actor="agent"))
    stats = published_statistics(session)
    (month,) = stats.months
    # 3 withdrawals are hidden, and the 16 filings masked: 16 - 3 is the change of the 13 in force
    assert month.filed == MASKED and month.withdrawn is None and month.changed is None and month.active == 13
    assert stats.active == 13
    by_purpose = dict(stats.by_purpose)
    assert by_purpose[Purpose.RESEARCH] == 12  # 8 still opposing all purposes, 4 research only
    assert by_purpose[Purpose.AI] is None  # 9: suppressed
    ages = dict(stats.by_age_sex)
    assert ages["30-44"]["female"] == 12
    assert ages["60-74"]["male"] is None
    published = [month.filed, month.changed, month.withdrawn, month.active, stats.active, *by_purpose.values()]
    published += [n for cells in ages.values() for n in cells.values()]
    assert all(n is None or n == MASKED or n >= 10 for n in published)


def test_no_statistics_without_oppositions(session):
    stats = published_statistics(session)
    assert stats.months == [] and stats.active is None


def test_filings_and_withdrawals_are_shown_together_or_not_at_all(session, keyring):
    group = people(14)
    for identifier in group:
        file_opposition(session, keyring, identifier)
    (month,) = published_statistics(session).months
    assert month.filed == MASKED and month.withdrawn is None  # 14 filed would reveal 0 withdrawn
    for identifier in group[:10]:
        withdraw_opposition(session, keyring, identifier)
    for identifier in people(6, first_order=100):
        file_opposition(session, keyring, identifier)
    (month,) = published_statistics(session).months
    assert (month.filed, month.withdrawn, month.active) == (20, 10, 10)


def test_a_lone_hidden_age_cell_takes_the_smallest_shown_one_with_it(session, keyring):
    order = 1
    for sex in (1, 2):
        for year in (15, 0, 85, 70, 60, 40):  # one birth year per age band
            size = 3 if (sex, year) == (1, 40) else (11 if (sex, year) == (2, 70) else 12)
            for identifier in people(size, sex=sex, year=year, first_order=order):
                file_opposition(session, keyring, identifier)
            order += size
    ages = dict(published_statistics(session).by_age_sex)
    assert ages["75+"]["male"] is None  # 3
    assert ages["45-59"]["female"] == MASKED  # 11, the smallest shown, hidden with it
    assert ages["30-44"] == {"female": 12, "male": 12}


def test_a_change_made_without_the_identifier_counts_everywhere_but_age_and_sex(session):
    from registry.statistics import record_opposition_change
    from registry.models import utcnow

    record_opposition_change(session, None, "refiled", 0, Purpose.AI.bit, utcnow())
    buckets = {(c.dimension, c.bucket): c.count for c in session.scalars(select(StatisticCounter))}
    assert buckets == {("action", "refiled"): 1, ("active", "all"): 1, ("purpose", "ai"): 1}


def test_filings_are_also_counted_per_paris_day_for_the_whole_country(session, keyring):
    from registry.daily_filings import DailyFilingCounter

    for identifier in people(3, first_order=500):
        file_opposition(session, keyring, identifier)
    change_purposes(session, keyring, people(1, first_order=500)[0], [Purpose.AI])
    withdraw_opposition(session, keyring, people(1, first_order=501)[0])
    file_opposition(session, keyring, people(1, first_order=501)[0])  # filed again
    counts = [r.count for r in session.scalars(select(DailyFilingCounter))]
    assert sum(counts) == 4  # 3 filed + 1 refiled; changes and withdrawals do not count
    assert set(DailyFilingCounter.__table__.columns.keys()) == {"day", "count"}
