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

Before the answer, each call's record is also appended to the process's local journal
(``registry.lookup_journal``): what a process gathered and had not written yet survives its
``kill -9`` and is written by the next process of the node (``replay_orphans``), exactly once.
Answers never depend on any of it.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from registry.audit import record_event, warehouse_actor
from registry.db import unit_of_work
from registry.freshness import stamp
from registry.lookup_journal import (JournalEntry, LookupJournal, already_written, forget_old_batches, mark_written,
                                     orphans)
from registry.purposes import Purpose, purpose_from_code
from registry.transparency import record_permit_sightings, record_sightings


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
    counts: dict[tuple, _Counts] = field(default_factory=dict)  # (client id, purpose code[, permit id])
    seen: dict[tuple, dict[bytes, tuple[dt.datetime, dt.datetime]]] = field(default_factory=dict)
    # (warehouse id, purpose code, permit id, exception): the people found under a data permit
    permit_seen: dict[tuple, dict[bytes, tuple[dt.datetime, dt.datetime]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counts or self.seen or self.permit_seen)

    def add(self, entry: JournalEntry) -> None:
        key = (entry.client_id, entry.purpose) if entry.permit_id is None else \
            (entry.client_id, entry.purpose, entry.permit_id)
        counts = self.counts.setdefault(key, _Counts())
        counts.calls += 1
        counts.identifiers += entry.identifiers
        counts.opposed += len(entry.opposed_digests)
        counts.invalid += entry.invalid
        counts.first = min(counts.first, entry.moment) if counts.first else entry.moment
        counts.last = max(counts.last, entry.moment) if counts.last else entry.moment
        if entry.opposed_digests:
            targets = [] if entry.exception else [self.seen.setdefault((entry.warehouse_id, entry.purpose), {})]
            if entry.permit_id is not None:
                targets.append(self.permit_seen.setdefault(
                    (entry.warehouse_id, entry.purpose, entry.permit_id, entry.exception), {}))
            for seen in targets:
                for digest in entry.opposed_digests:
                    first, last = seen.get(digest, (entry.moment, entry.moment))
                    seen[digest] = (min(first, entry.moment), max(last, entry.moment))

    def write(self, session: Session) -> None:
        """Add the records to ``session``'s transaction."""
        for (warehouse_id, code), seen in sorted(self.seen.items()):
            record_sightings(session, warehouse_id, purpose_from_code(code), seen)
        for (warehouse_id, code, permit_id, exception), seen in sorted(self.permit_seen.items()):
            record_permit_sightings(session, warehouse_id, purpose_from_code(code), permit_id, exception, seen)
        for key, counts in sorted(self.counts.items()):
            details = {"purpose": key[1], "calls": counts.calls, "identifiers": counts.identifiers,
                       "opposed": counts.opposed, "invalid": counts.invalid,
                       "from": stamp(counts.first), "to": stamp(counts.last)}
            if len(key) == 3:
                details["permit_id"] = key[2]
            record_event(session, action="api.lookup", actor=warehouse_actor(key[0]), details=details)


class LookupRecorder:
    """Gathers the records of one process's lookups; thread-safe."""

    def __init__(self, interval: float, *, journal: LookupJournal | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.journal = journal
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._pid = os.getpid()
        self._clock = clock
        self._claimed_at = clock()

    def add(self, *, client_id: str, warehouse_id: int, purpose: Purpose, identifiers: int, invalid: int,
            opposed_digests: list[bytes], moment: dt.datetime, permit_id: int | None = None,
            exception: bool = False) -> None:
        """Count one lookup call and note the people it found opposed (in the journal first); under
        a data permit's exception their oppositions were set aside, and are noted as such."""
        entry = JournalEntry(client_id=client_id, warehouse_id=warehouse_id, purpose=purpose.code,
                             identifiers=identifiers, invalid=invalid, opposed_digests=list(opposed_digests),
                             moment=moment, permit_id=permit_id, exception=exception)
        with self._lock:
            if self.journal is not None:
                self.journal.append(entry)
            self._pending.add(entry)

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
            sealed = self.journal.seal() if self.journal is not None else []
        if not pending and not sealed:
            return 0
        try:
            with unit_of_work(session):
                pending.write(session)
                mark_written(session, sealed)
        except BaseException:
            with self._lock:  # keep them for the next write (their journal files stay sealed)
                self._merge_back(pending)
            raise
        if self.journal is not None:
            with self._lock:
                self.journal.written(sealed)
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
        for mine_all, theirs in ((self._pending.seen, pending.seen), (self._pending.permit_seen, pending.permit_seen)):
            for key, seen in theirs.items():
                mine_seen = mine_all.setdefault(key, {})
                for digest, (first, last) in seen.items():
                    if digest in mine_seen:
                        first, last = min(first, mine_seen[digest][0]), max(last, mine_seen[digest][1])
                    mine_seen[digest] = (first, last)


def replay_orphans(session: Session, folder) -> int:
    """Write the records of the journal files that dead processes left in ``folder`` (each in its
    own transaction, once) and delete the files; returns the number of files replayed."""
    replayed = 0
    for orphan in orphans(folder):
        try:
            pending = _Pending()
            for entry in orphan.entries():
                pending.add(entry)
            with unit_of_work(session):
                if not already_written(session, orphan.name):
                    pending.write(session)
                    mark_written(session, [orphan.name])
                    forget_old_batches(session)
                    replayed += 1
        except BaseException:
            orphan.release()
            raise
        orphan.done()
    return replayed
