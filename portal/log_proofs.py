"""The transparency log as the portal serves it: checkpoints signed on demand (coalesced) and
the proof a receipt carries. ``registry.log_tree`` and ``registry.checkpoints`` hold the rules;
this module decides when to sign and waits when it must."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from registry.audit import leaf_bytes
from registry.checkpoints import LogCheckpoint, latest, seconds_before_signing, sign_current
from registry.db import unit_of_work
from registry.log_tree import TreeReader, tree_size
from registry.models import AuditEvent, OppositionVersion, utcnow

from portal.database import db
from portal.keys import log_signer

RECEIPT_FORMAT = "registre-opposition-receipt/1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def checkpoint(needed: int | None = None) -> LogCheckpoint:
    """A signed checkpoint of at least ``needed`` leaves (None: the tree as it is now, or the
    latest if it was signed less than ``LOG_CHECKPOINT_INTERVAL`` seconds ago). A request that
    needs a newer one than the interval allows waits for the interval's end; several nodes and
    processes asking at once get one signature, the same note."""
    session = db.session()
    last = latest(session)
    wanted = needed if needed is not None else tree_size(session)
    wait = seconds_before_signing(last, needed=wanted, interval=float(current_app.config["LOG_CHECKPOINT_INTERVAL"]),
                                  now=utcnow())
    if wait is None or (wait > 0 and needed is None):
        return last  # it covers what is needed, or a reader sees one up to an interval old
    time.sleep(wait)
    with unit_of_work(session):  # signs only if no one has signed what is needed meanwhile
        return sign_current(session, log_signer(), needed=wanted)


@dataclass(frozen=True)
class ReceiptProof:
    """What makes a receipt prove itself: its event's leaf, where it is, a checkpoint that
    includes it and the inclusion proof up to that checkpoint's root."""

    leaf: bytes
    leaf_index: int
    checkpoint: LogCheckpoint
    hashes: list[bytes]

    def as_json(self) -> dict:
        return {"key": log_signer().verifier_key, "leaf": b64(self.leaf), "leaf_index": self.leaf_index,
                "tree_size": self.checkpoint.size, "checkpoint": self.checkpoint.note,
                "inclusion_proof": [b64(h) for h in self.hashes]}


def receipt_proof(version: OppositionVersion) -> ReceiptProof | None:
    """The proof of a version's receipt (None for a version with no event in the log)."""
    if version.audit_seq is None:
        return None
    session = db.session()
    event = session.scalars(select(AuditEvent).where(AuditEvent.seq == version.audit_seq)).one()
    index = event.seq - 1
    signed = checkpoint(needed=index + 1)
    return ReceiptProof(leaf_bytes(event), index, signed, TreeReader(session).inclusion_proof(index, signed.size))
