"""What the counter's receipt reads: the version an agent wrote, and, for a request made by a
parent or legal representative, who asked and what the agent checked. The version keeps whom it
was for only; the rest is in the filing's audit event, read here so that the back-office's view
only formats it."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent, OppositionVersion
from registry.oppositions import is_receipt_reference


def agent_version(session: Session, reference: str) -> OppositionVersion | None:
    """The version an agent wrote under this receipt reference; None for any other reference,
    including one that could be no receipt's."""
    if not is_receipt_reference(reference):
        return None
    return session.scalars(
        select(OppositionVersion).where(OppositionVersion.receipt_reference == reference,
                                        OppositionVersion.actor == "agent")
    ).one_or_none()


def representative_request(session: Session, version: OppositionVersion) -> dict:
    """For a request made for a child or a protected adult, the details of its audit event
    (``representative``, ``representative_checked``); an empty dict for any other version."""
    if version.proxy_for is None or version.audit_seq is None:
        return {}
    details = session.scalar(select(AuditEvent.details).where(AuditEvent.seq == version.audit_seq))
    return json.loads(details) if details else {}
