"""Claims and versions: the mechanics of changing a person's opposition.

A person's opposition is held as claims, one per holder (``registry.models.Claim``); what is in
force is their union, cached on the subject row so that a lookup reads one row. Every change of
a claim is a new ``OppositionVersion`` written here, in ``_new_version``, under the audit chain's
lock: the only function that changes what is in force, and the database refuses any other path
(migration ``0019_version_guard``). These functions do not ask who may change what: ``registry.ownership`` holds those rules
and is what the portal calls. They take the caller's session, may flush, and never commit: the
view, command or job that calls them owns the transaction, so a failure leaves nothing half
written. Setting a claim to what it already holds is idempotent: it returns that claim's version.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from registry.audit import lock_chain, record_event
from registry.errors import InvalidChoice, NoActiveOpposition, NothingChosen
from registry.hashing import lookup_key
from registry.identifiers import Identifier
from registry.keyring import Keyring
from registry.models import Claim, OppositionVersion, Subject, utcnow
from registry.purposes import ALL_PURPOSES_MASK, Purpose, mask_of, purposes_of
from registry.statistics import record_effective_change

CHANNELS = ("online", "counter", "phone", "post")
ACTORS = ("self", "proxy", "agent")
PROXY_KINDS = ("minor", "protected_adult")
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone
_RECEIPT_SHAPE = re.compile(f"RNO(?:-[{RECEIPT_ALPHABET}]{{4}}){{4}}")
PERSON_HOLDER = "person"
CHANNEL_HOLDER = "channel:"


@dataclass(frozen=True)
class Filing:
    """Who files, how, and for whom. ``proxy_for`` is set when ``actor`` is ``proxy``.

    ``holder`` names the claim the filing changes (see ``registry.models.Claim``); when unset it
    follows from the rest: an agent's filing is a new claim of its channel, an account's its own
    (``filed_by``), and a filing by the person with no account the person's. ``evidence`` is what
    an agent checked before weakening (``registry.ownership``); ``visible_until`` ends a minor's
    proxy's view of its claim. An agent filing for a child or a protected adult at a parent's or
    legal representative's request names whom it is for (``proxy_for``), the representative's
    ``representative`` relation and what the agent checked of it (``representative_checked``)."""

    channel: str = "online"
    actor: str = "self"
    proxy_for: str | None = None
    filed_by: str | None = None
    effective_at: dt.datetime | None = None
    holder: str | None = None
    evidence: str | None = None
    visible_until: dt.date | None = None
    representative: str | None = None
    representative_checked: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS or self.actor not in ACTORS:
            raise InvalidChoice()
        if self.actor == "proxy" and self.proxy_for is None or self.actor == "self" and self.proxy_for is not None:
            raise InvalidChoice("a proxy filing names whom it is for, and a filing for oneself does not")
        if (self.actor == "agent" and self.proxy_for is not None) != (self.representative is not None):
            raise InvalidChoice("an agent filing for someone else names the representative who asked")
        if self.proxy_for is not None and self.proxy_for not in PROXY_KINDS:
            raise InvalidChoice()
        if self.holder is None and self.actor == "agent":
            # Each agent filing is a claim of its own: a channel is shared by everyone who calls
            # or writes, and a shared claim would show one caller what an earlier one filed.
            object.__setattr__(self, "holder", f"{CHANNEL_HOLDER}{self.channel}:{secrets.token_hex(6)}")

    @property
    def holder_key(self) -> str:
        if self.holder is not None:  # always set for an agent (see __post_init__)
            return self.holder
        return self.filed_by or (PERSON_HOLDER if self.actor == "self" else "proxy")

    @property
    def relation(self) -> str:
        holder = self.holder_key
        if holder == PERSON_HOLDER:
            return "person"
        if holder.startswith(CHANNEL_HOLDER):
            return "agent"
        return "proxy" if self.actor == "proxy" else "self"


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


def is_receipt_reference(text: str) -> bool:
    """Whether ``text`` has the shape of a receipt reference (any other text is no receipt)."""
    return bool(_RECEIPT_SHAPE.fullmatch(text or ""))


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


def subject_state(session: Session, subject: Subject) -> OppositionState:
    """What is in force for a subject already loaded."""
    if subject.current_version == 0:
        return OppositionState(False, [], None)
    return OppositionState(subject.opposed_purposes != 0, purposes_of(subject.opposed_purposes), _latest(session, subject))


def file_opposition(
    session: Session,
    keyring: Keyring,
    identifier: Identifier,
    purposes: Iterable[Purpose] | None = None,
    filing: Filing = Filing(),
) -> OppositionVersion:
    """Set the filing holder's claim to the given purposes (all of them when ``purposes`` is
    None): files it, re-files it after a withdrawal, or changes it. The other holders' claims are
    untouched, so the person stays opposed to whatever they cover."""
    mask = ALL_PURPOSES_MASK if purposes is None else mask_of(purposes)
    if mask == 0:
        raise NothingChosen()
    return set_claim(session, subject_for_filing(session, keyring, identifier), mask, filing, identifier)


def subject_for_update(session: Session, subject_id: int) -> Subject:
    """A subject locked for the rest of the transaction (PostgreSQL; SQLite has one writer)."""
    subject = session.scalars(select(Subject).where(Subject.id == subject_id).with_for_update()).one_or_none()
    if subject is None:
        raise NoActiveOpposition()
    return subject


def subject_for_filing(session: Session, keyring: Keyring, identifier: Identifier) -> Subject:
    """The person's subject, locked, created (with no claim yet) when the registry did not know them."""
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
    return subject


def claim_of(session: Session, subject_id: int, holder: str, *, for_update: bool = False) -> Claim | None:
    query = select(Claim).where(Claim.subject_id == subject_id, Claim.holder == holder)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def active_claims(session: Session, subject_id: int) -> list[Claim]:
    return list(session.scalars(
        select(Claim).where(Claim.subject_id == subject_id, Claim.purposes_mask != 0).order_by(Claim.id)
    ))


def set_claim(
    session: Session, subject: Subject, mask: int, filing: Filing, identifier: Identifier | None = None
) -> OppositionVersion:
    """Set the filing holder's claim on ``subject`` to ``mask`` (0 ends it) and write the version.

    The only way a claim changes besides ``supersede_claims``: it does not ask who may do it
    (``registry.ownership`` does). Setting a claim to what it already holds returns its latest
    version unchanged; ending a claim that is not active raises ``NoActiveOpposition``."""
    claim = claim_of(session, subject.id, filing.holder_key, for_update=True)
    if claim is None:
        if mask == 0:
            raise NoActiveOpposition()
        claim = Claim(subject_id=subject.id, holder=filing.holder_key, relation=filing.relation,
                      proxy_for=filing.proxy_for, purposes_mask=0, visible_until=filing.visible_until)
        session.add(claim)
        session.flush()
        action = "filed"
    elif claim.purposes_mask == mask:
        if mask == 0:
            raise NoActiveOpposition()
        latest = _latest_of_claim(session, claim)
        if latest is not None:
            return latest
        action = "changed"
    elif mask == 0:
        action = "withdrawn"
    else:
        action = "refiled" if claim.purposes_mask == 0 else "changed"
    if filing.visible_until is not None:
        claim.visible_until = filing.visible_until
    claim.purposes_mask = mask
    claim.superseded_at = None
    claim.updated_at = utcnow()
    return _new_version(session, subject, claim, action, filing, identifier)


def supersede_claims(
    session: Session, subject: Subject, mask: int, filing: Filing, identifier: Identifier | None = None
) -> OppositionVersion:
    """The person's own change: their claim becomes exactly ``mask`` and every other active claim
    ends, so that the person's wish is the effective opposition. Only ``registry.ownership``
    calls it, once the person is proved (online, or at a counter or by post with a document)."""
    if mask == 0 and subject.opposed_purposes == 0:
        raise NoActiveOpposition()
    others = [c for c in active_claims(session, subject.id) if c.holder != PERSON_HOLDER]
    own = claim_of(session, subject.id, PERSON_HOLDER, for_update=True)
    if not others and own is not None and own.purposes_mask == mask:
        latest = _latest_of_claim(session, own)
        if latest is not None:
            return latest
    now = utcnow()
    for claim in others:
        claim.purposes_mask = 0
        claim.superseded_at = now
        claim.updated_at = now
    if own is None:
        own = Claim(subject_id=subject.id, holder=PERSON_HOLDER, relation="person", purposes_mask=0)
        session.add(own)
        action = "filed" if mask else "withdrawn"
    elif mask == 0:
        action = "withdrawn"
    else:
        action = "changed" if own.purposes_mask else "refiled"
    own.purposes_mask = mask
    own.superseded_at = None
    own.updated_at = now
    session.flush()
    person_filing = Filing(channel=filing.channel, actor=filing.actor, filed_by=filing.filed_by,
                           effective_at=filing.effective_at, holder=PERSON_HOLDER, evidence=filing.evidence)
    return _new_version(session, subject, own, action, person_filing, identifier)


def change_purposes(
    session: Session,
    keyring: Keyring,
    identifier: Identifier,
    purposes: Iterable[Purpose],
    filing: Filing = Filing(),
) -> OppositionVersion:
    """Change the purposes of the filing holder's claim; it must be active."""
    subject = find_subject(session, keyring, identifier, for_update=True)
    claim = None if subject is None else claim_of(session, subject.id, filing.holder_key)
    if claim is None or not claim.active:
        raise NoActiveOpposition()
    return file_opposition(session, keyring, identifier, purposes, filing)


def withdraw_opposition(
    session: Session, keyring: Keyring, identifier: Identifier, filing: Filing = Filing()
) -> OppositionVersion:
    """End the filing holder's claim. The person stays opposed while another claim is active."""
    subject = find_subject(session, keyring, identifier, for_update=True)
    if subject is None:
        raise NoActiveOpposition()
    return set_claim(session, subject, 0, filing, identifier)


def _latest(session: Session, subject: Subject) -> OppositionVersion:
    return session.scalars(
        select(OppositionVersion).where(
            OppositionVersion.subject_id == subject.id,
            OppositionVersion.version == subject.current_version,
        )
    ).one()


def _latest_of_claim(session: Session, claim: Claim) -> OppositionVersion | None:
    return session.scalars(
        select(OppositionVersion).where(OppositionVersion.claim_id == claim.id)
        .order_by(OppositionVersion.version.desc()).limit(1)
    ).one_or_none()


def _effective_mask(session: Session, subject_id: int) -> int:
    mask = 0
    for claim_mask in session.scalars(
        select(Claim.purposes_mask).where(Claim.subject_id == subject_id, Claim.purposes_mask != 0)
    ):
        mask |= claim_mask
    return mask


def _ever_opposed(session: Session, subject_id: int) -> bool:
    return session.scalar(select(exists().where(
        OppositionVersion.subject_id == subject_id, OppositionVersion.purposes_mask != 0))) or False


_WRITTEN = "registry.versions_written"


def written_in_session(session: Session, version: OppositionVersion) -> bool:
    """Whether this session wrote ``version`` (rather than finding it unchanged): setting a claim
    to what it already holds returns the claim's latest version, which is not a new filing."""
    return version.receipt_reference in session.info.get(_WRITTEN, ())


def _new_version(
    session: Session, subject: Subject, claim: Claim, action: str, filing: Filing, identifier: Identifier | None = None
) -> OppositionVersion:
    """Write the version of a claim change and bring the person's effective opposition (the
    union of active claims) up to date, under the chain lock: versions are numbered in commit
    order (see registry.membership). Statistics count only changes of the effective state, so
    that a filing cannot tell what was there before."""
    lock_chain(session)
    session.flush()
    now = utcnow()
    old_mask, mask = subject.opposed_purposes, _effective_mask(session, subject.id)
    if old_mask != mask:
        ever = old_mask != 0 or _ever_opposed(session, subject.id)
        record_effective_change(session, identifier, old_mask, mask, now, ever_opposed=ever)
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
        claim_id=claim.id,
        claim_mask=claim.purposes_mask,
        evidence=filing.evidence,
    )
    details = {
        "version": version.version,
        "claim": claim.id,
        "holder": claim.relation,
        "purposes": [p.code for p in purposes_of(claim.purposes_mask)],
        "in_force": [p.code for p in purposes_of(mask)],
        "channel": filing.channel,
        "actor": filing.actor,
        "proxy_for": filing.proxy_for,
        "evidence": filing.evidence,
        "receipt": version.receipt_reference,
    }
    if filing.representative is not None:  # an agent's filing at a representative's request
        details["representative"] = filing.representative
        details["representative_checked"] = filing.representative_checked
    event = record_event(session, action=f"opposition.{action}", actor=filing.filed_by or filing.actor,
                         target=f"subject:{subject.id}", details=details)
    version.audit_seq = event.seq  # the receipt's leaf in the transparency log
    session.add(version)
    session.flush()  # the version first: the database refuses a subject change without it
    subject.current_version = version.version
    subject.opposed_purposes = mask
    subject.updated_at = now
    session.flush()
    session.info.setdefault(_WRITTEN, set()).add(version.receipt_reference)
    return version
