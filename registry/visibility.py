"""What each signed-in account may see of the oppositions it is concerned with.

The proved person sees everything about themself: the opposition in force, every version by
every holder (a weakening by someone else shows as such: who, on which channel, when), the
active claims, refused attempts to prove to be them, and which warehouses applied the
opposition. Any other holder sees its own claim and that claim's versions only, never the
effective state, other holders or warehouses: a claim must not become a way to watch someone.
A minor's proxy stops seeing its claim on the minor's 18th birthday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Claim, OppositionVersion, Subject
from registry.oppositions import OppositionState, active_claims, is_receipt_reference, subject_state
from registry.ownership import Citizen, claim_visible
from registry.persons import ProofAttempt, bound_subject_id, proof_attempts
from registry.transparency import Application, applications_for_subject


@dataclass(frozen=True)
class PersonRecord:
    """Everything about the person the account proved to be."""

    subject_id: int
    state: OppositionState
    history: list[OppositionVersion]  # newest first, every holder's
    claims: list[Claim]  # active claims of every holder
    attempts: list[ProofAttempt]
    applications: list[Application] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimRecord:
    """One claim of the account on someone else (or on itself, unproved), and its versions."""

    claim: Claim
    history: list[OppositionVersion]  # newest first, this claim's only

    @property
    def superseded(self) -> bool:
        """Ended by the person's own change, not by this holder."""
        return self.claim.superseded_at is not None and not self.claim.active


@dataclass(frozen=True)
class CitizenView:
    person: PersonRecord | None
    claims: list[ClaimRecord]


def _history(session: Session, condition) -> list[OppositionVersion]:
    return list(session.scalars(select(OppositionVersion).where(condition).order_by(OppositionVersion.version.desc())))


def person_record(session: Session, subject_id: int) -> PersonRecord:
    subject = session.get(Subject, subject_id)
    return PersonRecord(
        subject_id,
        subject_state(session, subject),
        _history(session, OppositionVersion.subject_id == subject_id),
        active_claims(session, subject_id),
        proof_attempts(session, subject_id),
        applications_for_subject(session, subject_id),
    )


def citizen_view(session: Session, citizen: Citizen, today: dt.date) -> CitizenView:
    """What this account's space shows: the person it proved to be, then its own claims on
    others (its unproved claim on itself first, then proxies in filing order)."""
    person_id = bound_subject_id(session, citizen.identity)
    person = person_record(session, person_id) if person_id is not None else None
    claims = session.scalars(select(Claim).where(Claim.holder == citizen.holder).order_by(Claim.id)).all()
    records = [
        ClaimRecord(claim, _history(session, OppositionVersion.claim_id == claim.id))
        for claim in sorted(claims, key=lambda c: c.relation != "self")
        if claim_visible(claim, today) and claim.subject_id != person_id
    ]
    return CitizenView(person, records)


@dataclass(frozen=True)
class Receipt:
    """A receipt as this account may see it: the person's (``claim`` None: the version and the
    opposition in force it led to) or a holder's (its claim's purposes after the version only)."""

    version: OppositionVersion
    claim: Claim | None
    before_mask: int = 0  # what the receipt's holder had before: the opposition in force, or the claim
    held_since: dt.datetime | None = None  # since when, when it was not nothing

    @property
    def as_person(self) -> bool:
        return self.claim is None


def _before(versions: list[OppositionVersion], mask_of) -> tuple[int, dt.datetime | None]:
    """From the versions before a receipt's (newest first): the mask just before, and the start
    of the unbroken run of versions that held something up to then."""
    if not versions or not mask_of(versions[0]):
        return 0, None
    since = versions[0].effective_at
    for earlier in versions:
        if not mask_of(earlier):
            break
        since = earlier.effective_at
    return mask_of(versions[0]), since


def receipt_for(session: Session, citizen: Citizen, reference: str, today: dt.date) -> Receipt | None:
    """The version with this receipt reference, when this account may see it."""
    if not is_receipt_reference(reference):
        return None
    version = session.scalars(
        select(OppositionVersion).where(OppositionVersion.receipt_reference == reference)
    ).one_or_none()
    if version is None:
        return None
    earlier = OppositionVersion.version < version.version
    if bound_subject_id(session, citizen.identity) == version.subject_id:
        before = _before(_history(session, (OppositionVersion.subject_id == version.subject_id) & earlier),
                         lambda v: v.purposes_mask)
        return Receipt(version, None, *before)
    claim = version.claim
    if claim is not None and claim.holder == citizen.holder and claim_visible(claim, today):
        before = _before(_history(session, (OppositionVersion.claim_id == claim.id) & earlier),
                         lambda v: v.claim_mask or 0)
        return Receipt(version, claim, *before)
    return None
