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

import bisect
import hashlib
from dataclasses import dataclass, field

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
        return _search(self.prefixes, output[:PREFIX_SIZE])

    def apply(self, delta: FilterDelta) -> OppositionFilter:
        """The filter after a delta, as the client keeps it up to date."""
        current = {self.prefixes[i : i + PREFIX_SIZE] for i in range(0, len(self.prefixes), PREFIX_SIZE)}
        current.difference_update(delta.removed)
        current.update(delta.added)
        return OppositionFilter(self.purpose, delta.version, self.key_id, b"".join(sorted(current)))


@dataclass(frozen=True)
class FilterDelta:
    """What changed since ``since``: prefixes to add and to remove."""

    purpose: str
    since: int
    version: int
    added: list[bytes] = field(repr=False)
    removed: list[bytes] = field(repr=False)


def _search(prefixes: bytes, prefix: bytes) -> bool:
    view = memoryview(prefixes)
    count = len(prefixes) // PREFIX_SIZE
    index = bisect.bisect_left(range(count), prefix, key=lambda i: view[i * PREFIX_SIZE : (i + 1) * PREFIX_SIZE].tobytes())
    return index < count and view[index * PREFIX_SIZE : (index + 1) * PREFIX_SIZE] == prefix


def current_version(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(OppositionVersion.id), 0)))


def build_filter(session: Session, purpose: Purpose, key_id: str) -> OppositionFilter:
    """The full filter for a purpose, from the current state of every opposition."""
    version = current_version(session)
    rows = session.execute(
        select(Subject.oprf_output).where(
            Subject.opposed_purposes.op("&")(purpose.bit) != 0, Subject.oprf_key_id == key_id
        )
    )
    prefixes = sorted(bytes(output)[:PREFIX_SIZE] for (output,) in rows)
    return OppositionFilter(purpose.code, version, key_id, b"".join(prefixes))


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
