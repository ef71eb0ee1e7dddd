"""Who has proved to be a person: the first identity that did, and the others that tried.

Proving to be the person (``registry.identity_proof``) lets an account see everything about that
person and supersede every claim on their opposition. The traits a number carries are shared by
others (a twin, someone of the same sex and birth month from the same commune), so the status is
bound to the first identity that proved it: a keyed hash of the identity provider's (issuer,
sub), never the pair itself. Another identity that matches the traits later is refused and sent
to a counter, and the attempt is kept (its date only) so that the person sees it in their space.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event
from registry.hashing import IdentifierHasher
from registry.models import Base, Subject, UTCDateTime, utcnow

_IDENTITY_PREFIX = "oidc-subject\x00"


class PersonBinding(Base):
    """The identity that proved to be this person first; one identity is one person at most."""

    __tablename__ = "person_bindings"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    identity_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    hash_key_id: Mapped[str] = mapped_column(String(40))
    bound_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProofAttempt(Base):
    """Another identity matched the person's traits after the binding: refused, kept for them."""

    __tablename__ = "person_proof_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def identity_hash(hasher: IdentifierHasher, issuer: str, subject: str) -> bytes:
    """The keyed hash of an identity provider's (issuer, sub)."""
    return hasher.digest_text(f"{_IDENTITY_PREFIX}{issuer}\x00{subject}")


def bound_subject_id(session: Session, identity: bytes) -> int | None:
    """The person this identity proved to be, if any."""
    return session.scalar(select(PersonBinding.subject_id).where(PersonBinding.identity_hash == identity))


def is_person(session: Session, subject_id: int, identity: bytes) -> bool:
    binding = session.get(PersonBinding, subject_id)
    return binding is not None and binding.identity_hash == identity


def bind_person(session: Session, hasher: IdentifierHasher, subject: Subject, identity: bytes, *, actor: str) -> bool:
    """Bind ``subject`` to this identity when no identity proved it before; True when the
    identity is (now) the person's. Another identity's attempt is recorded and refused. A unique
    key makes two first bindings in parallel fail one of them (the caller retries and is refused)."""
    binding = session.get(PersonBinding, subject.id, with_for_update=True)
    if binding is None:
        session.add(PersonBinding(subject_id=subject.id, identity_hash=identity, hash_key_id=hasher.key_id))
        session.flush()
        record_event(session, action="person.bound", actor=actor, target=f"subject:{subject.id}", details={})
        return True
    if binding.identity_hash == identity:
        return True
    session.add(ProofAttempt(subject_id=subject.id))
    session.flush()
    record_event(session, action="person.proof_refused", actor=actor, target=f"subject:{subject.id}",
                 details={"reason": "another_identity_bound"})
    return False


def proof_attempts(session: Session, subject_id: int) -> list[ProofAttempt]:
    """Refused attempts to prove to be this person, newest first."""
    return list(session.scalars(
        select(ProofAttempt).where(ProofAttempt.subject_id == subject_id).order_by(ProofAttempt.id.desc())
    ))
