"""The published membership filter of opposed OPRF outputs, per purpose.

A warehouse in private mode tests its unblinded outputs against this filter instead of sending
identifiers. It holds the first 8 bytes of each opposed person's OPRF output, sorted: 8 times
smaller than the outputs themselves, and with ~70 million entries a 100,000-person cohort
expects 4e-7 false matches (a false match only ever excludes a record, the safe direction).
The outputs are pseudo-random without the registry's key, so the filter tells a reader nothing
about who opposed unless they can evaluate identifiers, which the API's quota bounds.

``version`` is the id of the latest opposition version: it changes whenever any opposition
does, so a client revalidates with an ETag and fetches a delta for small changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import OppositionVersion, Subject
from registry.purposes import Purpose

PREFIX_SIZE = 8


@dataclass(frozen=True)
class OppositionFilter:
    """Sorted 8-byte prefixes, concatenated; ``key_id`` names the OPRF key they derive from."""

    purpose: str
    version: int
    key_id: str
    prefixes: bytes = field(repr=False)

    @property
    def count(self) -> int:
        return len(self.prefixes) // PREFIX_SIZE

    @property
    def etag(self) -> str:
        digest = hashlib.sha256(self.prefixes).hexdigest()[:16]
        return f'"{self.purpose}-{self.version}-{digest}"'

    def contains(self, output: bytes) -> bool:
        """Whether an unblinded OPRF output is among the opposed (binary search, no copy)."""
        return self.contains_many(output[:PREFIX_SIZE])[0]

    def contains_many(self, prefixes: bytes) -> list[bool]:
        """For concatenated 8-byte prefixes, whether each is among the opposed, in order.

        One vectorised search for a whole batch: testing 100,000 outputs one by one against a
        million entries cost about a second of the client's time, this costs milliseconds.
        """
        wanted = np.frombuffer(prefixes, dtype=_BIG_ENDIAN)
        table = self._table
        if not table.size:
            return [False] * wanted.size
        index = np.minimum(np.searchsorted(table, wanted), table.size - 1)
        return (table[index] == wanted).tolist()

    @cached_property
    def _table(self) -> np.ndarray:
        # Big-endian 8-byte integers sort exactly as the 8-byte strings do.
        return np.frombuffer(self.prefixes, dtype=_BIG_ENDIAN)

    def apply(self, delta: FilterDelta) -> OppositionFilter:
        """The filter after a delta, as the client keeps it up to date."""
        kept = self._table
        if delta.removed:
            kept = kept[~np.isin(kept, _table(delta.removed))]
        # Each prefix once, in order, as a set of the prefixes sorted would give.
        current = np.union1d(kept, _table(delta.added)).astype(_BIG_ENDIAN)
        return OppositionFilter(self.purpose, delta.version, self.key_id, current.tobytes())


@dataclass(frozen=True)
class FilterDelta:
    """What changed since ``since``: prefixes to add and to remove."""

    purpose: str
    since: int
    version: int
    added: list[bytes] = field(repr=False)
    removed: list[bytes] = field(repr=False)


_BIG_ENDIAN = np.dtype(">u8")


def _table(prefixes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(prefixes), dtype=_BIG_ENDIAN)


def is_sorted(prefixes: bytes) -> bool:
    """Whether concatenated 8-byte prefixes are in ascending order, as a published filter is."""
    table = np.frombuffer(prefixes, dtype=_BIG_ENDIAN)
    return bool(np.all(table[1:] >= table[:-1]))


def current_version(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(OppositionVersion.id), 0)))


def build_filter(session: Session, purpose: Purpose, key_id: str) -> OppositionFilter:
    """The full filter for a purpose, from the current state of every opposition."""
    version = current_version(session)
    # Only the prefixes leave the database, read as plain rows (no ORM loading), sorted by numpy:
    # a million of them cost about 2 s of the registry's time sliced and sorted in Python.
    rows = session.connection().execute(
        select(func.substr(Subject.oprf_output, 1, PREFIX_SIZE)).where(
            Subject.opposed_purposes.op("&")(purpose.bit) != 0, Subject.oprf_key_id == key_id
        )
    )
    prefixes = np.sort(_table([prefix for (prefix,) in rows]))
    return OppositionFilter(purpose.code, version, key_id, prefixes.tobytes())


def filter_delta(session: Session, purpose: Purpose, key_id: str, since: int) -> FilterDelta:
    """The changes since version ``since``: every person whose opposition changed since then,
    added when they oppose the purpose now and removed otherwise."""
    version = current_version(session)
    if since >= version:  # nothing newer (or a version from the future: the caller sends the full filter)
        return FilterDelta(purpose.code, since, version, [], [])
    changed = (
        select(OppositionVersion.subject_id).where(OppositionVersion.id > since).distinct().scalar_subquery()
    )
    rows = session.execute(
        select(Subject.oprf_output, Subject.opposed_purposes).where(
            Subject.id.in_(changed), Subject.oprf_key_id == key_id
        )
    )
    added, removed = [], []
    for output, mask in rows:
        (added if mask & purpose.bit else removed).append(bytes(output)[:PREFIX_SIZE])
    return FilterDelta(purpose.code, since, version, sorted(added), sorted(removed))
