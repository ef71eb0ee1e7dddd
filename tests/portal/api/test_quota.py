"""The in-process counters behind the API's quotas (``process://``), through the ``limits``
library's fixed-window strategy, as the API uses them; the clock is the test's."""

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

import portal.api.quota
from portal.api.quota import ProcessCounters


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(portal.api.quota, "time", clock)
    return clock


def test_a_window_counts_its_calls_then_starts_again_once_it_ended(clock):
    limiter = FixedWindowRateLimiter(storage_from_string("process://"))
    quota = parse("3 per minute")
    assert [limiter.hit(quota, "api", "lookup:a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(quota, "api", "lookup:b"), "each client and endpoint has its own window"
    clock.now += 59
    assert not limiter.hit(quota, "api", "lookup:a")
    assert limiter.get_window_stats(quota, "api", "lookup:a").reset_time == pytest.approx(clock.now + 1)
    clock.now += 1
    assert limiter.hit(quota, "api", "lookup:a")
    assert limiter.get_window_stats(quota, "api", "lookup:a").remaining == 2


def test_ended_windows_are_dropped_once_there_are_many(clock, monkeypatch):
    monkeypatch.setattr(ProcessCounters, "PRUNE_ABOVE", 3)
    storage = ProcessCounters()
    for key in ("a", "b", "c"):
        storage.incr(key, 10)
    clock.now += 5
    storage.incr("d", 10)
    clock.now += 6  # a, b and c ended; d has 4 seconds left
    storage.incr("e", 10)
    assert (storage.get("d"), storage.get("e"), storage.get("a")) == (1, 1, 0)
    assert storage.reset() == 2, "only d and e were still counted"


def test_the_api_counts_in_process_only_for_fixed_windows_in_memory(tmp_path, database_url):
    from portal.database import db
    from tests.portal.api.conftest import make_api_app

    kinds = {}
    for strategy in ("fixed-window", "moving-window"):
        app = make_api_app(database_url, tmp_path / strategy, RATELIMIT_STRATEGY=strategy)
        kinds[strategy] = type(app.extensions["api_quotas"].strategy.storage).__name__
        db.dispose(app)
    assert kinds == {"fixed-window": "ProcessCounters", "moving-window": "MemoryStorage"}
