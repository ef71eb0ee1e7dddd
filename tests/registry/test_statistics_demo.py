"""The demonstration history of the statistics: written once, about eighteen months and a few
thousand made-up oppositions that fill every chart, read only when asked for, never mixed with
real counts."""

import datetime as dt

import pytest

from registry.statistics import MASKED, published_statistics, record_effective_change
from registry.statistics_demo import has_synthetic_history, seed_synthetic_history, synthetic_counters
from tests.registry.nir_factory import make_nir
from registry.identifiers import parse_identifier

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 12, 5)


def test_the_history_is_written_once_and_fills_every_chart(session):
    filed = seed_synthetic_history(session, TODAY)
    assert 2000 <= filed <= 6000
    assert seed_synthetic_history(session, TODAY) == 0 and has_synthetic_history(session)
    stats = published_statistics(session, today=TODAY, synthetic=True)
    assert stats.synthetic
    assert len(stats.months) == 19  # June 2025 to December 2026, the month in progress last
    full_months = stats.months[:-1]
    assert all(isinstance(m.filed, int) and isinstance(m.active, int) for m in full_months)
    assert all(m.withdrawn not in (None, MASKED) for m in full_months)
    assert [m.active for m in full_months] == sorted(m.active for m in full_months)  # it grows
    assert stats.active >= 2000
    assert all(isinstance(count, int) for _, count in stats.by_purpose)
    assert all(isinstance(cells[sex], int) for _, cells in stats.by_age_sex for sex in cells)


def test_the_history_adds_up_as_real_counters_do():
    cells = synthetic_counters(TODAY)
    total = {}
    for (_, dimension, bucket), count in cells.items():
        total[(dimension, bucket)] = total.get((dimension, bucket), 0) + count
    entered = total[("action", "filed")] + total[("action", "refiled")]
    assert total[("active", "all")] == entered - total[("action", "withdrawn")]
    assert sum(n for (dimension, _), n in total.items() if dimension == "age_sex") == entered
    assert max(n for (dimension, _), n in total.items() if dimension == "purpose") <= total[("active", "all")]
    assert synthetic_counters(TODAY) == cells  # the same history on every machine


def test_without_asking_the_history_is_never_read_nor_mixed_with_real_counts(session):
    seed_synthetic_history(session, TODAY)
    for order in range(1, 13):  # twelve real people filed yesterday
        identifier = parse_identifier(make_nir(2, 85, 2, "75", "056", order))
        record_effective_change(session, identifier, 0, 1, dt.datetime(2026, 12, 4, 12, tzinfo=dt.timezone.utc),
                                ever_opposed=False)
    real = published_statistics(session, today=TODAY)
    assert not real.synthetic
    assert real.active == 10 and [m.month for m in real.months] == [dt.date(2026, 12, 1)]
    with_history = published_statistics(session, today=TODAY, synthetic=True)
    assert with_history.active >= 2000 + 10
