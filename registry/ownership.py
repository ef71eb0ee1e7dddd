"""Who may change a person's opposition, and how: the rules, in one place.

"One can always say no more; only who said no can say less." A person's opposition is the union
of the active claims of its holders (``registry.models.Claim``):

* **Strengthen**: anyone signed in (for themself, or as a proxy with an attestation) and agents
  on every channel may add purposes to their own claim. It never removes a purpose from anyone
  and its answer is that holder's own receipt, so it never reveals what was there before.
* **Own claim**: a holder sees, narrows and withdraws its own claim, and nothing else. A minor's
  proxy stops seeing (and changing) its claim on the minor's 18th birthday; the claim still
  counts.
* **The person**: proved online (``registry.identity_proof``: every trait the number carries,
  bound to the first identity that proved it, ``registry.persons``), or in front of an agent with
  an identity document (at a counter) or its copy (by post). Their change or withdrawal
  supersedes every claim. A trait that cannot be checked gives a strengthen-only claim of the
  account instead, and the person is pointed to a counter or the post.
* **Agents**: narrowing or withdrawing needs the evidence of the channel (an identity document
  checked at the counter, a copy received by post); by phone agents only strengthen.
* **Proxies**: a minor is under 18 on the filing date, a protected adult 18 or over, from a full
  birth date that agrees with the number; an account that proved a number is that person and
  cannot be their proxy. A parent or legal representative with no account files through an
  agent (the paper form's "pour mon enfant mineur", "pour un majeur protégé"): the same age rule,
  and at the counter or by post the agent checks the representative's identity and authority.
  Such a filing only adds, as the proxy's does online.

Views call these functions only: ``tests/test_architecture.py`` fails if the portal reaches the
claim mechanics of ``registry.oppositions`` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts import Account, account_reference
from registry.errors import NoActiveOpposition, NothingChosen, RegistryError
from registry.identifiers import Identifier, check_birthdate
from registry.identity_proof import IdentityClaims, Proof, prove_person
from registry.keyring import Keyring
from registry.models import Claim, OppositionVersion, Subject
from registry.oppositions import (
    PERSON_HOLDER,
    PROXY_KINDS,
    Filing,
    claim_of,
    find_subject,
    set_claim,
    subject_for_filing,
    subject_for_update,
    supersede_claims,
)
from registry.persons import bind_person, bound_subject_id, identity_hash, is_person
from registry.purposes import ALL_PURPOSES_MASK, Purpose, mask_of

ADULT_AGE = 18
# What an agent must have checked, per channel, before narrowing or withdrawing for the person.
EVIDENCE = {"counter": "identity_document", "post": "identity_copy"}
# What an agent checks before filing at a representative's request: the representative's identity
# document and the proof of their authority (family record book or birth certificate for a
# child, the court's decision for a protected adult), at the counter, or their copies by post.
# By phone there is nothing to check, as for any other phone filing, which only adds.
REPRESENTATIVE_EVIDENCE = {"counter": "representative_documents", "post": "representative_copies"}
# Who may represent whom: a child's parent or guardian; a protected adult's guardian, curator
# or the relative the judge empowered (habilitation familiale).
REPRESENTATIVES = {"minor": ("parent", "guardian"), "protected_adult": ("guardian", "curator", "family_empowerment")}


class ClaimNotFound(RegistryError):
    code = "claim_not_found"
    message = "No claim of yours has this number."


class NotThePerson(RegistryError):
    code = "not_the_person"
    message = "Only the person, once proved, may do this."


class EvidenceRequired(RegistryError):
    code = "evidence_required"
    message = "Narrowing or withdrawing needs the person's identity document checked (or its copy, by post)."


class StrengthenOnlyChannel(RegistryError):
    code = "strengthen_only_channel"
    message = "On this channel an agent may only add to an opposition."


class RepresentativeMismatch(RegistryError):
    code = "representative_mismatch"
    message = "This relation cannot represent whom the filing is for (a child's parent or guardian; a protected adult's guardian, curator or empowered relative)."


class ProxyAgeMismatch(RegistryError):
    """``code`` is ``minor_is_adult`` or ``protected_adult_is_minor``."""

    def __init__(self, code: str) -> None:
        super().__init__("The birth date does not fit whom the filing is for.")
        self.code = code


class AlreadyFiledForSelf(RegistryError):
    code = "already_filed_for_self"
    message = "This account already filed for another person as themself."


class SelfAsProxy(RegistryError):
    code = "self_as_proxy"
    message = "This number is the account holder's own: file for yourself instead."


@dataclass(frozen=True)
class Citizen:
    """A signed-in account as the rules see it: its claims' holder name and its identity hash."""

    account_id: int
    identity: bytes

    @property
    def holder(self) -> str:
        return account_reference(self.account_id)


def citizen_for(session: Session, keyring: Keyring, account_id: int) -> Citizen:
    account = session.get(Account, account_id)
    if account is None:
        raise ClaimNotFound()
    return Citizen(account_id, identity_hash(keyring.hasher, account.issuer, account.subject))


@dataclass(frozen=True)
class SelfFiling:
    """What a self-filing (or a "find my opposition" step) came to.

    ``as_person``: the account proved to be the person (it may now see and change everything).
    ``unverifiable``: why it could not (a trait the number carries that cannot be checked online);
    ``other_identity``: another identity proved to be this person first. In both cases a filing
    was kept as the account's own claim, and the person is pointed to a counter or the post."""

    version: OppositionVersion | None
    as_person: bool
    unverifiable: str | None = None
    other_identity: bool = False


def _mask(purposes: Iterable[Purpose] | None) -> int:
    mask = ALL_PURPOSES_MASK if purposes is None else mask_of(purposes)
    if mask == 0:
        raise NothingChosen()
    return mask


def _strengthen(session: Session, subject: Subject, mask: int, filing: Filing,
                identifier: Identifier | None) -> OppositionVersion:
    """Add ``mask`` to the filing holder's claim: the union never loses a purpose."""
    claim = claim_of(session, subject.id, filing.holder_key)
    held = claim.purposes_mask if claim is not None else 0
    return set_claim(session, subject, held | mask, filing, identifier)


def _prove(session: Session, keyring: Keyring, citizen: Citizen, proof: Proof, subject: Subject) -> SelfFiling:
    """Bind the person when the traits proved it (``prove_person`` ran first)."""
    bound = bound_subject_id(session, citizen.identity)
    if bound is not None and bound != subject.id:
        raise AlreadyFiledForSelf()
    if not proof.proved:
        return SelfFiling(None, False, unverifiable=proof.unverifiable)
    if bind_person(session, keyring.hasher, subject, citizen.identity, actor=citizen.holder):
        return SelfFiling(None, True)
    return SelfFiling(None, False, other_identity=True)


def _own_self_claim_elsewhere(session: Session, citizen: Citizen, subject_id: int) -> bool:
    return session.scalar(select(Claim.id).where(
        Claim.holder == citizen.holder, Claim.relation == "self", Claim.subject_id != subject_id).limit(1)) is not None


def file_for_self(session: Session, keyring: Keyring, citizen: Citizen, identifier: Identifier,
                  claims: IdentityClaims, purposes: Iterable[Purpose] | None) -> SelfFiling:
    """File online for oneself: always additive. Proved, it is the person's own claim; otherwise
    the account's strengthen-only claim (see ``SelfFiling``)."""
    mask = _mask(purposes)
    subject = subject_for_filing(session, keyring, identifier)
    if _own_self_claim_elsewhere(session, citizen, subject.id):
        raise AlreadyFiledForSelf()
    outcome = _prove(session, keyring, citizen, prove_person(identifier, claims), subject)
    if outcome.as_person:
        filing = Filing(channel="online", actor="self", filed_by=citizen.holder, holder=PERSON_HOLDER)
    else:
        filing = Filing(channel="online", actor="self", filed_by=citizen.holder)
    version = _strengthen(session, subject, mask, filing, identifier)
    return SelfFiling(version, outcome.as_person, outcome.unverifiable, outcome.other_identity)


def find_my_opposition(session: Session, keyring: Keyring, citizen: Citizen, identifier: Identifier,
                       claims: IdentityClaims) -> SelfFiling:
    """"Retrouver mon opposition": prove to be the person of a number the registry knows (filed
    at a counter, by post, or by someone else) and see it. Files nothing. A number the registry
    does not know gives ``NoActiveOpposition`` (after the same identity checks). Traits that
    cannot be checked get the same answer whether the registry knows the number or not: else
    anyone sharing the number's checkable traits would learn whether someone filed for it."""
    proof = prove_person(identifier, claims)
    if not proof.proved:
        return SelfFiling(None, False, unverifiable=proof.unverifiable)
    subject = find_subject(session, keyring, identifier, for_update=True)
    if subject is None or subject.current_version == 0:
        raise NoActiveOpposition()
    return _prove(session, keyring, citizen, proof, subject)


def age_on(birthdate: dt.date, day: dt.date) -> int:
    return day.year - birthdate.year - ((day.month, day.day) < (birthdate.month, birthdate.day))


def adulthood(birthdate: dt.date) -> dt.date:
    """The 18th birthday (1 March for someone born on 29 February)."""
    try:
        return birthdate.replace(year=birthdate.year + ADULT_AGE)
    except ValueError:
        return dt.date(birthdate.year + ADULT_AGE, 3, 1)


def check_proxy_age(identifier: Identifier, birthdate: dt.date, proxy_for: str, today: dt.date) -> None:
    """The full birth date must agree with the number (``IdentityMismatch``) and with whom the
    filing is for (``ProxyAgeMismatch``): a minor is under 18 today, a protected adult 18 or over."""
    check_birthdate(identifier, birthdate)
    adult = age_on(birthdate, today) >= ADULT_AGE
    if proxy_for == "minor" and adult:
        raise ProxyAgeMismatch("minor_is_adult")
    if proxy_for == "protected_adult" and not adult:
        raise ProxyAgeMismatch("protected_adult_is_minor")


def file_as_proxy(session: Session, keyring: Keyring, citizen: Citizen, identifier: Identifier,
                  birthdate: dt.date, proxy_for: str, purposes: Iterable[Purpose] | None,
                  today: dt.date) -> OppositionVersion:
    """File as a parent or legal representative (attested by the caller): the account's own
    claim on the person, additive, seen by the account until the minor's 18th birthday."""
    if proxy_for not in PROXY_KINDS:
        raise NothingChosen()
    check_proxy_age(identifier, birthdate, proxy_for, today)
    mask = _mask(purposes)
    subject = subject_for_filing(session, keyring, identifier)
    if is_person(session, subject.id, citizen.identity):
        raise SelfAsProxy()
    own = claim_of(session, subject.id, citizen.holder)
    if own is not None and own.relation == "self":
        raise SelfAsProxy()
    filing = Filing(channel="online", actor="proxy", proxy_for=proxy_for, filed_by=citizen.holder,
                    visible_until=adulthood(birthdate) if proxy_for == "minor" else None)
    return _strengthen(session, subject, mask, filing, identifier)


def claim_visible(claim: Claim, today: dt.date) -> bool:
    return claim.visible_until is None or today < claim.visible_until


def own_claim(session: Session, citizen: Citizen, claim_id: int, today: dt.date) -> Claim:
    """The account's own claim with this id, or ``ClaimNotFound`` (someone else's, or a minor's
    claim past their 18th birthday)."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.holder != citizen.holder or not claim_visible(claim, today):
        raise ClaimNotFound()
    return claim


def _claim_filing(claim: Claim, citizen: Citizen) -> Filing:
    actor = "proxy" if claim.relation == "proxy" else "self"
    return Filing(channel="online", actor=actor, proxy_for=claim.proxy_for if actor == "proxy" else None,
                  filed_by=citizen.holder, holder=claim.holder)


def change_own_claim(session: Session, citizen: Citizen, claim_id: int, purposes: Iterable[Purpose] | None,
                     today: dt.date) -> OppositionVersion:
    """Set the purposes of the account's own claim (narrower or wider): the other claims stay."""
    mask = _mask(purposes)
    claim = own_claim(session, citizen, claim_id, today)
    subject = subject_for_update(session, claim.subject_id)
    return set_claim(session, subject, mask, _claim_filing(claim, citizen))


def withdraw_own_claim(session: Session, citizen: Citizen, claim_id: int, today: dt.date) -> OppositionVersion:
    """End the account's own claim. The person stays opposed to what other claims cover."""
    claim = own_claim(session, citizen, claim_id, today)
    subject = subject_for_update(session, claim.subject_id)
    return set_claim(session, subject, 0, _claim_filing(claim, citizen))


def _person_subject(session: Session, citizen: Citizen, subject_id: int) -> Subject:
    if not is_person(session, subject_id, citizen.identity):
        raise NotThePerson()
    return subject_for_update(session, subject_id)


def change_as_person(session: Session, citizen: Citizen, subject_id: int,
                     purposes: Iterable[Purpose] | None) -> OppositionVersion:
    """The proved person sets their opposition to exactly these purposes, over every claim."""
    mask = _mask(purposes)
    subject = _person_subject(session, citizen, subject_id)
    return supersede_claims(session, subject, mask, Filing(channel="online", actor="self", filed_by=citizen.holder))


def withdraw_as_person(session: Session, citizen: Citizen, subject_id: int) -> OppositionVersion:
    """The proved person withdraws: every claim ends."""
    subject = _person_subject(session, citizen, subject_id)
    return supersede_claims(session, subject, 0, Filing(channel="online", actor="self", filed_by=citizen.holder))


@dataclass(frozen=True)
class AgentFiling:
    """An agent's filing: the version, and whether it spoke for the person (with evidence) or
    only added a claim of its own (then the agent sees that claim only)."""

    version: OppositionVersion
    for_the_person: bool


def agent_filing(session: Session, keyring: Keyring, identifier: Identifier, *, request: str,
                 purposes: Iterable[Purpose] | None, channel: str, agent: str,
                 evidence_checked: bool) -> AgentFiling:
    """File for a person at a counter, by post or by phone. ``request`` is ``add`` (these
    purposes as a claim of this filing's own: open on every channel, and it shows nothing of what
    was there, not even what an earlier caller filed), ``set`` (exactly these purposes) or ``withdraw``. ``set`` and ``withdraw`` act for the
    person and supersede every claim, so they need the channel's evidence; by phone there is
    none, and agents only add."""
    evidence = EVIDENCE.get(channel) if evidence_checked else None
    if request == "add":
        mask = _mask(purposes)
        subject = subject_for_filing(session, keyring, identifier)
        filing = Filing(channel=channel, actor="agent", filed_by=agent)
        return AgentFiling(_strengthen(session, subject, mask, filing, identifier), False)
    if channel not in EVIDENCE:
        raise StrengthenOnlyChannel()
    if evidence is None:
        raise EvidenceRequired()
    filing = Filing(channel=channel, actor="agent", filed_by=agent, holder=PERSON_HOLDER, evidence=evidence)
    if request == "withdraw":
        subject = find_subject(session, keyring, identifier, for_update=True)
        if subject is None:
            raise NoActiveOpposition()
        return AgentFiling(supersede_claims(session, subject, 0, filing, identifier), True)
    subject = subject_for_filing(session, keyring, identifier)
    return AgentFiling(supersede_claims(session, subject, _mask(purposes), filing, identifier), True)


def agent_filing_for_represented(session: Session, keyring: Keyring, identifier: Identifier, *,
                                 birthdate: dt.date, proxy_for: str, representative: str,
                                 purposes: Iterable[Purpose] | None, channel: str, agent: str,
                                 documents_checked: bool, today: dt.date) -> AgentFiling:
    """File for a child or a protected adult at the request of their parent or legal
    representative, who has no account (the paper form's boxes for a child or a protected adult).
    The rules of a proxy online: the full birth date agrees with the number and with whom it is
    for (``check_proxy_age``), and it only adds, as a claim of this filing's own; the agent has
    checked the representative's identity and authority at the counter, or their copies by post
    (``EvidenceRequired``), and the relation fits whom it is for (``RepresentativeMismatch``).
    The version names whom it was for; the audit event also keeps the relation and what was checked."""
    if proxy_for not in REPRESENTATIVES:
        raise NothingChosen()
    if representative not in REPRESENTATIVES[proxy_for]:
        raise RepresentativeMismatch()
    check_proxy_age(identifier, birthdate, proxy_for, today)
    checked = REPRESENTATIVE_EVIDENCE.get(channel) if documents_checked else None
    if channel in REPRESENTATIVE_EVIDENCE and checked is None:
        raise EvidenceRequired()
    mask = _mask(purposes)
    subject = subject_for_filing(session, keyring, identifier)
    filing = Filing(channel=channel, actor="agent", proxy_for=proxy_for, filed_by=agent,
                    representative=representative, representative_checked=checked)
    return AgentFiling(_strengthen(session, subject, mask, filing, identifier), False)
