"""When a process writes its gathered lookup records: one write claimed per period, only when
records wait, and a late claim (the background check) only once the requests stopped claiming."""

import datetime as dt

from registry.lookup_records import LookupRecorder
from registry.purposes import Purpose


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def gather(recorder: LookupRecorder) -> None:
    recorder.add(client_id="c", warehouse_id=1, purpose=Purpose.RESEARCH, identifiers=1, invalid=0,
                 opposed_digests=[b"\x01" * 32], moment=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))


def test_nothing_is_claimed_while_nothing_was_gathered():
    clock = Clock(100.0)
    recorder = LookupRecorder(1.0, clock=clock)
    clock.now += 50
    assert not recorder.pending and not recorder.claim_write()


def test_a_write_is_claimed_by_one_caller_per_period():
    clock = Clock(100.0)
    recorder = LookupRecorder(1.0, clock=clock)
    gather(recorder)
    assert not recorder.claim_write()  # the first period has not ended
    clock.now = 101.0
    assert recorder.claim_write()
    assert not recorder.claim_write()  # already claimed: another caller does not write too
    clock.now = 101.5
    gather(recorder)
    assert not recorder.claim_write()
    clock.now = 102.0
    assert recorder.claim_write()


def test_a_late_claim_waits_for_the_requests_to_stop_claiming():
    clock = Clock(0.0)
    recorder = LookupRecorder(1.0, clock=clock)
    gather(recorder)
    clock.now = 1.0
    assert not recorder.claim_write(late=1.0)
    assert recorder.claim_write()  # a request claims the write of this period
    clock.now = 2.5
    assert not recorder.claim_write(late=1.0)
    clock.now = 3.0  # no request claimed for two periods: the late check writes
    assert recorder.claim_write(late=1.0)
