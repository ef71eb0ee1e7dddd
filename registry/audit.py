"""The audit trail: append-only events, each chained to the previous one by SHA-256.

An event's hash covers its own fields and the previous event's hash, so editing, deleting or
reordering any stored event breaks every later link; ``verify_chain`` names the first broken one.
Events never hold a raw identifier: subjects are named by their internal id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_ID = 0x52_4E_4F_41  # an arbitrary constant naming the chain's advisory lock


def canonical_details(details: dict[str, Any] | None) -> str:
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the previous hash and the event's fields in a fixed, unambiguous form."""
    payload = json.dumps(
        [
            event.prev_hash,
            event.seq,
            event.occurred_at.isoformat(timespec="microseconds"),
            event.actor,
            event.action,
            event.target,
            event.details,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Take the chain's lock for the rest of the transaction (PostgreSQL; SQLite has one writer).

    ``record_event`` takes it too; opposition changes take it before numbering their version,
    so that versions become visible in id order (the lookups' membership index relies on it).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})


def record_event(
    session: Session,
    *,
    action: str,
    actor: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain in the caller's transaction.

    On PostgreSQL a transaction-scoped advisory lock serialises writers so the chain never forks;
    SQLite serialises writers by itself. ``seq`` is unique, so a fork would fail loudly anyway.
    """
    lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        prev_hash=last.hash if last else GENESIS_HASH,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        target=target,
        details=canonical_details(details),
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """The result of a verification: ``broken_seq`` is the first event that does not hold."""

    count: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(session: Session, *, batch_size: int = 1000) -> ChainReport:
    """Walk the whole chain in order, streaming, and stop at the first event that does not hold."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch_size)
    )
    with events:  # closes the server-side cursor when we stop early
        for event in events:
            if event.seq != expected_seq:
                return ChainReport(count, event.seq, f"expected event {expected_seq} here (missing or reordered)")
            if event.prev_hash != expected_prev:
                return ChainReport(count, event.seq, "does not link to the previous event")
            if event_hash(event) != event.hash:
                return ChainReport(count, event.seq, "content does not match its hash")
            expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    return ChainReport(count)
