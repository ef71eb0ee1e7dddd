"""The audit trail: append-only events, each chained to the previous one by SHA-256, and each a
leaf of the public transparency log (``registry.log_tree``).

An event's hash covers its own fields and the previous event's hash, so editing, deleting or
reordering any stored event breaks every later link; ``verify_chain`` names the first broken one.
The chain alone cannot show an insider who recomputes every later hash, or deletes the last
events: the log's signed checkpoints, kept by anyone outside, can (``registry.log_checks``).
Events never hold a raw identifier: subjects are named by their internal id. Stored events are
never rewritten; a format that changed is normalised when read (``leaf_bytes``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import log_tree
from registry.models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
LEAF_FORMAT = "registre-opposition/audit-event/1"
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


def leaf_bytes(event: AuditEvent) -> bytes:
    """The event as a leaf of the public log: what a receipt shows and proves, with nothing about
    anyone (no subject, no actor; the receipt reference is the receipt holder's own). The last
    line commits to the whole event through its chain hash."""
    lines = [
        LEAF_FORMAT,
        f"seq {event.seq}",
        f"action {event.action}",
        f"time {event.occurred_at.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}",
    ]
    receipt = _receipt_of(event.details)
    if receipt:
        lines.append(f"receipt {receipt}")
    lines.append(f"event {event.hash}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _receipt_of(details: str) -> str | None:
    """The receipt reference an event's details name, whatever the details' format of the time."""
    try:
        parsed = json.loads(details)
    except ValueError:
        return None
    receipt = parsed.get("receipt") if isinstance(parsed, dict) else None
    return receipt if isinstance(receipt, str) and receipt.isprintable() and " " not in receipt else None


WAREHOUSE_ACTOR = "warehouse:"


def warehouse_actor(client_id: str) -> str:
    """How an event names a warehouse client that acted: ``warehouse:<client id>``, the name the
    client authenticates with. Events written before this was the only form also say
    ``warehouse_id:<warehouse id>`` (a job's end) or ``warehouse:<warehouse id>`` (a private
    lookup); they are never rewritten, and ``registry.audit_search.actor_forms`` finds them."""
    return WAREHOUSE_ACTOR + client_id


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
    """Append an event to the chain, and its leaf to the log, in the caller's transaction."""
    event = chain_event(session, action=action, actor=actor, target=target, details=details)
    log_tree.append(session, event.seq - 1, leaf_bytes(event))
    return event


def chain_event(
    session: Session,
    *,
    action: str,
    actor: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain only: what ``record_event`` did before the log existed, kept
    for the migrations written then (the log's migration adds their leaves afterwards).

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
