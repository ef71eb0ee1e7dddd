"""Filing, changing, withdrawing and re-filing oppositions.

Every change is a new ``OppositionVersion``; the subject row caches the resulting state so a
lookup reads one row. These functions take the caller's session, may flush, and never commit:
the view, command or job that calls them owns the transaction, so a failure leaves nothing half
written. Filing exactly what is already in force is idempotent: it returns the version in force.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import lock_chain, record_event
from registry.errors import InvalidChoice, NoActiveOpposition, NothingChosen
from registry.hashing import lookup_key
from registry.identifiers import Identifier
from registry.keyring import Keyring
from registry.models import OppositionVersion, Subject, utcnow
from registry.purposes import ALL_PURPOSES_MASK, Purpose, mask_of, purposes_of
from registry.statistics import record_opposition_change

CHANNELS = ("online", "counter", "phone", "post")
ACTORS = ("self", "proxy", "agent")
PROXY_KINDS = ("minor", "protected_adult")
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


@dataclass(frozen=True)
class Filing:
    """Who files, how, and for whom. ``proxy_for`` is set when ``actor`` is ``proxy``."""

    channel: str = "online"
    actor: str = "self"
    proxy_for: str | None = None
    filed_by: str | None = None
    effective_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS or self.actor not in ACTORS:
            raise InvalidChoice()
        if (self.actor == "proxy") != (self.proxy_for is not None):
            raise InvalidChoice("a proxy filing names whom it is for, and only a proxy filing does")
        if self.proxy_for is not None and self.proxy_for not in PROXY_KINDS:
            raise InvalidChoice()


@dataclass(frozen=True)
class OppositionState:
    """The state in force for one person."""

    active: bool
    purposes: list[Purpose]
    version: OppositionVersion | None


def new_receipt_reference() -> str:
    """An unguessable reference (about 79 bits), grouped for reading: ``RNO-XXXX-XXXX-XXXX-XXXX``."""
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "RNO-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def find_subject(session: Session, keyring: Keyring, identifier: Identifier, *, for_update: bool = False):
    query = select(Subject).where(Subject.id_hash == keyring.hasher.digest(identifier.value))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def current_opposition(session: Session, keyring: Keyring, identifier: Identifier) -> OppositionState:
    """What is in force for this person now (inactive with no version if never filed)."""
    subject = find_subject(session, keyring, identifier)
    if subject is None or subject.current_version == 0:
        return OppositionState(False, [], None)
    return OppositionState(subject.opposed_purposes != 0, purposes_of(subject.opposed_purposes), _latest(session, subject))


def opposition_history(session: Session, keyring: Keyring, identifier: Identifier) -> list[OppositionVersion]:
    """Every version, oldest first."""
    subject = find_subject(session, keyring, identifier)
    return [] if subject is None else list(subject.versions)


def file_opposition(
    session: Session,
    keyring: Keyring,
    identifier: Identifier,
    purposes: Iterable[Purpose] | None = None,
    filing: Filing = Filing(),
) -> OppositionVersion:
    """Oppose the given purposes (all of them when ``purposes`` is None).

    Files a first opposition, re-files after a withdrawal, or changes the purposes of the one in
    force. Asking again for exactly what is in force returns the current version unchanged.
    """
    mask = ALL_PURPOSES_MASK if purposes is None else mask_of(purposes)
    if mask == 0:
        raise NothingChosen()
    subject = find_subject(session, keyring, identifier, for_update=True)
    if subject is None:
        digest = keyring.hasher.digest(identifier.value)
        subject = Subject(
            id_hash=digest,
            lookup_key=lookup_key(digest),
            hash_key_id=keyring.hasher.key_id,
            oprf_output=keyring.oprf.output(identifier.value),
            oprf_key_id=keyring.oprf.key_id,
            opposed_purposes=0,
            current_version=0,
        )
        session.add(subject)
        session.flush()
    return _apply_mask(session, subject, mask, filing, identifier)


def file_for_subject(
    session: Session, subject_id: int, purposes: Iterable[Purpose] | None, filing: Filing = Filing()
) -> OppositionVersion:
    """``file_opposition`` for a subject already known by its id (no raw identifier needed):
    how an account changes or re-files what it filed before."""
    mask = ALL_PURPOSES_MASK if purposes is None else mask_of(purposes)
    if mask == 0:
        raise NothingChosen()
    return _apply_mask(session, _subject_for_update(session, subject_id), mask, filing)


def withdraw_for_subject(session: Session, subject_id: int, filing: Filing = Filing()) -> OppositionVersion:
    """``withdraw_opposition`` for a subject known by its id."""
    subject = _subject_for_update(session, subject_id)
    if subject.opposed_purposes == 0:
        raise NoActiveOpposition()
    return _new_version(session, subject, "withdrawn", 0, filing)


def subject_state(session: Session, subject: Subject) -> OppositionState:
    """What is in force for a subject already loaded."""
    if subject.current_version == 0:
        return OppositionState(False, [], None)
    return OppositionState(subject.opposed_purposes != 0, purposes_of(subject.opposed_purposes), _latest(session, subject))


def _subject_for_update(session: Session, subject_id: int) -> Subject:
    subject = session.scalars(select(Subject).where(Subject.id == subject_id).with_for_update()).one_or_none()
    if subject is None:
        raise NoActiveOpposition()
    return subject


def _apply_mask(
    session: Session, subject: Subject, mask: int, filing: Filing, identifier: Identifier | None = None
) -> OppositionVersion:
    if subject.current_version and subject.opposed_purposes == mask:
        return _latest(session, subject)
    if subject.current_version == 0:
        action = "filed"
    elif subject.opposed_purposes == 0:
        action = "refiled"
    else:
        action = "changed"
    return _new_version(session, subject, action, mask, filing, identifier)


def change_purposes(
    session: Session,
    keyring: Keyring,
    identifier: Identifier,
    purposes: Iterable[Purpose],
    filing: Filing = Filing(),
) -> OppositionVersion:
    """Change the purposes of the opposition in force; there must be one."""
    subject = find_subject(session, keyring, identifier, for_update=True)
    if subject is None or subject.opposed_purposes == 0:
        raise NoActiveOpposition()
    return file_opposition(session, keyring, identifier, purposes, filing)


def withdraw_opposition(
    session: Session, keyring: Keyring, identifier: Identifier, filing: Filing = Filing()
) -> OppositionVersion:
    """Withdraw the opposition in force: from now on, reuse is allowed again for every purpose."""
    subject = find_subject(session, keyring, identifier, for_update=True)
    if subject is None or subject.opposed_purposes == 0:
        raise NoActiveOpposition()
    return _new_version(session, subject, "withdrawn", 0, filing, identifier)


def _latest(session: Session, subject: Subject) -> OppositionVersion:
    return session.scalars(
        select(OppositionVersion).where(
            OppositionVersion.subject_id == subject.id,
            OppositionVersion.version == subject.current_version,
        )
    ).one()


def _new_version(
    session: Session, subject: Subject, action: str, mask: int, filing: Filing, identifier: Identifier | None = None
) -> OppositionVersion:
    lock_chain(session)  # versions are numbered in commit order (see registry.membership)
    now = utcnow()
    record_opposition_change(session, identifier, action, subject.opposed_purposes, mask, now)
    version = OppositionVersion(
        subject_id=subject.id,
        version=subject.current_version + 1,
        action=action,
        purposes_mask=mask,
        channel=filing.channel,
        actor=filing.actor,
        proxy_for=filing.proxy_for,
        filed_by=filing.filed_by,
        effective_at=filing.effective_at or now,
        recorded_at=now,
        receipt_reference=new_receipt_reference(),
    )
    subject.current_version = version.version
    subject.opposed_purposes = mask
    subject.updated_at = now
    session.add(version)
    session.flush()
    record_event(
        session,
        action=f"opposition.{action}",
        actor=filing.filed_by or filing.actor,
        target=f"subject:{subject.id}",
        details={
            "version": version.version,
            "purposes": [p.code for p in purposes_of(mask)],
            "channel": filing.channel,
            "actor": filing.actor,
            "proxy_for": filing.proxy_for,
            "receipt": version.receipt_reference,
        },
    )
    return version
