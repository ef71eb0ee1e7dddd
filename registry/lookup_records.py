"""What the API's lookups leave behind, written in groups: audit counts and transparency records.

A warehouse may send hundreds of single-identifier lookups a second. Writing an audit event (a
hash-chained append that serialises every writer) and the transparency records in a transaction
of their own for each call cost several times the lookup itself. Each process therefore gathers
them in memory and writes them together, in one short transaction, about every ``interval``
seconds (0: at every call), and when the process exits. The web layer runs the writes;
``claim_write`` tells it when one is due, once per period, so that a single caller writes:

* one ``api.lookup`` audit event per warehouse client and purpose, with the number of calls and
  the identifiers checked, opposed and invalid over the period (never an identifier);
* one transparency record per matched person (keyed hash only), first and last time found.

What a process gathered and had not written yet is lost if it is killed outright (at most
``interval`` seconds of counts); answers never depend on it.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.db import unit_of_work
from registry.purposes import Purpose, purpose_from_code
from registry.transparency import record_sightings


@dataclass
class _Counts:
    calls: int = 0
    identifiers: int = 0
    opposed: int = 0
    invalid: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None


@dataclass
class _Pending:
    counts: dict[tuple[str, str], _Counts] = field(default_factory=dict)  # (client id, purpose code)
    seen: dict[tuple[int, str], dict[bytes, tuple[dt.datetime, dt.datetime]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counts or self.seen)


class LookupRecorder:
    """Gathers the records of one process's lookups; thread-safe."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._pid = os.getpid()
        self._clock = clock
        self._claimed_at = clock()

    def add(self, *, client_id: str, warehouse_id: int, purpose: Purpose, identifiers: int, invalid: int,
            opposed_digests: list[bytes], moment: dt.datetime) -> None:
        """Count one lookup call and note the people it found opposed."""
        with self._lock:
            counts = self._pending.counts.setdefault((client_id, purpose.code), _Counts())
            counts.calls += 1
            counts.identifiers += identifiers
            counts.opposed += len(opposed_digests)
            counts.invalid += invalid
            counts.first = counts.first or moment
            counts.last = moment
            if opposed_digests:
                seen = self._pending.seen.setdefault((warehouse_id, purpose.code), {})
                for digest in opposed_digests:
                    first = seen.get(digest, (moment,))[0]
                    seen[digest] = (first, moment)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def claim_write(self, *, late: float = 0.0) -> bool:
        """Whether the caller should write now: records are pending and no write was claimed
        in the last ``interval + late`` seconds. True for one caller per period.

        The process's requests claim with ``late=0`` and write once their answer is sent; a
        background check claims with a larger ``late``, so that it writes only when no request
        came to do it (the traffic stopped)."""
        with self._lock:
            now = self._clock()
            if not self._pending or now - self._claimed_at < self.interval + late:
                return False
            self._claimed_at = now
            return True

    def write(self, session: Session) -> int:
        """Write what was gathered (the caller's session must have no transaction of its own
        pending) and commit; returns the number of audit events written."""
        if os.getpid() != self._pid:  # a forked child never writes its parent's records
            return 0
        with self._lock:
            pending, self._pending = self._pending, _Pending()
        if not pending:
            return 0
        try:
            with unit_of_work(session):
                for (warehouse_id, code), seen in sorted(pending.seen.items()):
                    record_sightings(session, warehouse_id, purpose_from_code(code), seen)
                for (client_id, code), counts in sorted(pending.counts.items()):
                    record_event(session, action="api.lookup", actor=f"warehouse:{client_id}", details={
                        "purpose": code, "calls": counts.calls, "identifiers": counts.identifiers,
                        "opposed": counts.opposed, "invalid": counts.invalid,
                        "from": _stamp(counts.first), "to": _stamp(counts.last)})
        except BaseException:
            with self._lock:  # keep them for the next write
                self._merge_back(pending)
            raise
        return len(pending.counts)

    def _merge_back(self, pending: _Pending) -> None:
        for key, counts in pending.counts.items():
            mine = self._pending.counts.setdefault(key, _Counts())
            mine.calls += counts.calls
            mine.identifiers += counts.identifiers
            mine.opposed += counts.opposed
            mine.invalid += counts.invalid
            mine.first = min(filter(None, (mine.first, counts.first)))
            mine.last = max(filter(None, (mine.last, counts.last)))
        for key, seen in pending.seen.items():
            mine_seen = self._pending.seen.setdefault(key, {})
            for digest, (first, last) in seen.items():
                if digest in mine_seen:
                    first, last = min(first, mine_seen[digest][0]), max(last, mine_seen[digest][1])
                mine_seen[digest] = (first, last)


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
