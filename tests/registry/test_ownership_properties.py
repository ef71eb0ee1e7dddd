"""Property-based test of the ownership rules: random sequences of filings, narrowings,
withdrawals, proofs and agent filings on one person's number, each checked against a small model
written here (holder -> purposes mask; the opposition in force is their union; the person's
change or withdrawal ends every other claim), not against the registry's code.

Each Hypothesis example runs in a savepoint of the test's session that is rolled back at its end,
so every example starts from an empty registry. Each operation runs in a savepoint of its own; a
refused one is checked to have written nothing before that savepoint is rolled back (as the
portal rolls back a refused request). Numbers travel as ``SyntheticNir``: a failing example shows
labels only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from registry.accounts import account_for_login
from registry.errors import NoActiveOpposition, RegistryError
from registry.identifiers import IdentityMismatch, parse_identifier
from registry.identity_proof import IdentityClaims
from registry.models import Claim, OppositionVersion, Subject
from registry.oppositions import current_opposition, find_subject
from registry.ownership import (
    ClaimNotFound,
    EvidenceRequired,
    NotThePerson,
    SelfAsProxy,
    StrengthenOnlyChannel,
    agent_filing,
    change_as_person,
    change_own_claim,
    citizen_for,
    file_as_proxy,
    file_for_self,
    find_my_opposition,
    withdraw_as_person,
    withdraw_own_claim,
)
from registry.purposes import ALL_PURPOSES_MASK, Purpose, mask_of, purposes_of
from tests.registry.nir_factory import SyntheticNir, make_nir

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 12, 4)
SETTINGS = settings(max_examples=60, stateful_step_count=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class Person:
    """A number with the identity that proves it, one that agrees but cannot, and whom a proxy
    files for."""

    def __init__(self, nir: SyntheticNir, claims: IdentityClaims, birthdate: dt.date, proxy_for: str) -> None:
        self.nir = nir
        self.claims = claims
        self.unproved = IdentityClaims(claims.gender, claims.birthdate)  # no birthplace: unverifiable
        self.stranger = IdentityClaims("male" if claims.gender == "female" else "female", claims.birthdate)
        self.birthdate = birthdate
        self.proxy_for = proxy_for

    def __repr__(self) -> str:
        return f"Person({self.nir.label!r})"


PEOPLE = [
    Person(SyntheticNir(make_nir(2, 85, 2, "2A", "004", 123), "adult born in Corsica"),
           IdentityClaims("female", "1985-02-14", "2A004", "99100"), dt.date(1985, 2, 14), "protected_adult"),
    Person(SyntheticNir(make_nir(1, 78, 11, "99", "350", 45), "adult born abroad"),
           IdentityClaims("male", "1978-11-03", "", "99350"), dt.date(1978, 11, 3), "protected_adult"),
    Person(SyntheticNir(make_nir(1, 18, 3, "69", "123", 12), "minor born in Lyon"),
           IdentityClaims("male", "2018-03-09", "69123", "99100"), dt.date(2018, 3, 9), "minor"),
]
# Accounts 0-2 have the person's identity (the first to prove it becomes the person, the others are
# another identity with the same traits); 3 agrees with the number but cannot prove it; 4-5 are
# strangers (their identity contradicts the number: they only file as proxies).
PROVING, UNPROVED, STRANGERS = (0, 1, 2), 3, (4, 5)
ACCOUNTS = range(6)
CHANNELS = ("counter", "post", "phone")
EVIDENCE = {"counter": "identity_document", "post": "identity_copy"}

masks = st.integers(1, ALL_PURPOSES_MASK)
choices = st.one_of(st.none(), masks)  # None: every purpose (the one-click default)
accounts = st.sampled_from(ACCOUNTS)


def chosen(choice: int | None) -> list[Purpose] | None:
    return None if choice is None else purposes_of(choice)


def mask_for(choice: int | None) -> int:
    return ALL_PURPOSES_MASK if choice is None else choice


@pytest.fixture
def machine(session, keyring):
    class Ownership(RuleBasedStateMachine):
        """The model: ``held`` (holder -> mask), ``relation`` (holder -> person, self, proxy or
        agent, fixed by its first filing), ``person`` (the account that proved first), ``known``
        (ever filed)."""

        def __init__(self) -> None:
            super().__init__()
            self.example = session.begin_nested()
            self.held: dict[str, int] = {}
            self.relation: dict[str, str] = {}
            self.person: int | None = None
            self.known = False
            self.citizens = []

        @initialize(who=st.sampled_from(PEOPLE))
        def start(self, who: Person) -> None:
            self.who = who
            self.identifier = parse_identifier(who.nir.value)
            for index in ACCOUNTS:
                account = account_for_login(session, "https://fc.example", f"sub-{index}")
                self.citizens.append(citizen_for(session, keyring, account.id))

        def teardown(self) -> None:
            self.example.rollback()

        # --- the model ----------------------------------------------------------------------

        def union(self) -> int:
            union = 0
            for mask in self.held.values():
                union |= mask
            return union

        def holder(self, index: int) -> str:
            return self.citizens[index].holder

        def identity_of(self, index: int) -> IdentityClaims:
            if index in PROVING:
                return self.who.claims
            return self.who.unproved if index == UNPROVED else self.who.stranger

        def add(self, holder: str, mask: int, relation: str) -> None:
            self.held[holder] = self.held.get(holder, 0) | mask
            self.relation.setdefault(holder, relation)
            self.known = True

        def supersede(self, mask: int) -> None:
            self.held = {holder: 0 for holder in self.held}
            self.held["person"] = mask
            self.relation.setdefault("person", "person")

        # --- the registry, observed -----------------------------------------------------------

        def observed(self) -> tuple[int, dict[str, int], int, int]:
            """(versions, holder -> mask, subject's cached mask, current_opposition's mask)."""
            session.flush()
            versions = session.scalar(select(func.count()).select_from(OppositionVersion))
            subject = find_subject(session, keyring, self.identifier)
            if subject is None:
                return versions, {}, 0, 0
            claims = {c.holder: c.purposes_mask
                      for c in session.scalars(select(Claim).where(Claim.subject_id == subject.id))}
            state = current_opposition(session, keyring, self.identifier)
            return versions, claims, subject.opposed_purposes, mask_of(state.purposes)

        def claim_id(self, holder: str) -> int | None:
            subject = find_subject(session, keyring, self.identifier)
            if subject is None:
                return None
            return session.scalar(select(Claim.id).where(Claim.subject_id == subject.id, Claim.holder == holder))

        def run(self, operation, refusal: type[Exception] | None, *, acting: str | None, weakens_all: bool = False):
            """Run ``operation`` in a savepoint. ``refusal``: the error the rules expect, or None.
            ``acting``: the holder whose claim alone may change (None when the person supersedes).
            A refused operation must have written no version and changed no claim; an allowed one
            by anyone but the person never changes another holder's claim nor loses one of its
            purposes from the opposition in force."""
            before = self.observed()
            step = session.begin_nested()
            try:
                result = operation()
            except RegistryError as error:
                if refusal is None or not isinstance(error, refusal):
                    raise
                refused_state = self.observed()
                same = refused_state[:3] == before[:3]
                step.rollback()
                assert same, f"the refused {type(error).__name__} wrote something"
                return None
            except IdentityMismatch:
                if refusal is not IdentityMismatch:
                    raise
                refused_state = self.observed()
                same = refused_state[:2] == before[:2]  # (the subject row may be created first)
                step.rollback()
                assert same, "the refused identity wrote something"
                return None
            step.commit()
            assert refusal is None, f"expected {refusal.__name__}, the registry allowed it"
            after = self.observed()
            if not weakens_all:
                others_before = {h: m for h, m in before[1].items() if h != acting}
                others_after = {h: after[1].get(h) for h in others_before}
                assert others_after == others_before, "an operation changed another holder's claim"
                kept = 0
                for mask in others_before.values():
                    kept |= mask
                assert after[2] & kept == kept, "an operation took a purpose away from another holder"
            return result

        def check_version(self, version, holder: str) -> None:
            """The version an operation answered with holds its holder's claim; when it is the
            newest (not an earlier one given back by an idempotent filing), the union too."""
            if version is None:
                return
            assert version.claim_mask == self.held[holder], "a version's claim_mask is not its holder's claim"
            if version.version == session.get(Subject, version.subject_id).current_version:
                assert version.purposes_mask == self.union()

        # --- the rules ------------------------------------------------------------------------

        @rule(index=accounts, choice=choices)
        def file_for_self(self, index: int, choice: int | None) -> None:
            citizen = self.citizens[index]
            if index in STRANGERS:
                self.run(lambda: file_for_self(session, keyring, citizen, self.identifier, self.identity_of(index),
                                               chosen(choice)), IdentityMismatch, acting=None)
                return
            proves = index in PROVING and self.person in (None, index)
            holder = "person" if proves else self.holder(index)
            outcome = self.run(lambda: file_for_self(session, keyring, citizen, self.identifier,
                                                     self.identity_of(index), chosen(choice)),
                               None, acting=holder)
            if proves:
                self.person = index
            self.add(holder, mask_for(choice), "person" if proves else "self")
            assert outcome.as_person == proves
            assert outcome.other_identity == (index in PROVING and not proves)
            assert (outcome.unverifiable is not None) == (index == UNPROVED)
            self.check_version(outcome.version, holder)

        @rule(index=accounts)
        def find_my_opposition(self, index: int) -> None:
            citizen = self.citizens[index]
            operation = lambda: find_my_opposition(session, keyring, citizen, self.identifier,  # noqa: E731
                                                   self.identity_of(index))
            if index in STRANGERS:
                self.run(operation, IdentityMismatch, acting=None)
                return
            if index in PROVING and not self.known:
                self.run(operation, NoActiveOpposition, acting=None)
                return
            before = self.observed()[0]
            outcome = self.run(operation, None, acting=None)
            assert self.observed()[0] == before, "finding an opposition wrote a version"
            proves = index in PROVING and self.person in (None, index)
            if proves:
                self.person = index
            assert outcome.version is None
            assert outcome.as_person == proves
            assert outcome.other_identity == (index in PROVING and not proves)
            assert (outcome.unverifiable is not None) == (index == UNPROVED)

        @rule(index=accounts, choice=choices)
        def file_as_proxy(self, index: int, choice: int | None) -> None:
            holder = self.holder(index)
            refusal = SelfAsProxy if self.person == index or self.relation.get(holder) == "self" else None
            version = self.run(lambda: file_as_proxy(session, keyring, self.citizens[index], self.identifier,
                                                     self.who.birthdate, self.who.proxy_for, chosen(choice), TODAY),
                               refusal, acting=holder)
            if refusal is None:
                self.add(holder, mask_for(choice), "proxy")
                self.check_version(version, holder)

        @rule(index=accounts, pick=st.integers(0, 20), choice=choices)
        def change_own_claim(self, index: int, pick: int, choice: int | None) -> None:
            holders = sorted(self.held)
            if not holders:
                return
            holder = holders[pick % len(holders)]
            claim_id = self.claim_id(holder)
            own = holder == self.holder(index)
            version = self.run(lambda: change_own_claim(session, self.citizens[index], claim_id, chosen(choice), TODAY),
                               None if own else ClaimNotFound, acting=holder)
            if own:
                self.held[holder] = mask_for(choice)
                self.check_version(version, holder)

        @rule(index=accounts, pick=st.integers(0, 20))
        def withdraw_own_claim(self, index: int, pick: int) -> None:
            holders = sorted(self.held)
            if not holders:
                return
            holder = holders[pick % len(holders)]
            claim_id = self.claim_id(holder)
            own = holder == self.holder(index)
            refusal = ClaimNotFound if not own else (NoActiveOpposition if self.held[holder] == 0 else None)
            version = self.run(lambda: withdraw_own_claim(session, self.citizens[index], claim_id, TODAY),
                               refusal, acting=holder)
            if refusal is None:
                self.held[holder] = 0
                self.check_version(version, holder)

        @rule(index=accounts, choice=choices)
        def change_as_person(self, index: int, choice: int | None) -> None:
            subject = find_subject(session, keyring, self.identifier)
            if subject is None:
                return
            is_person = self.person == index
            version = self.run(lambda: change_as_person(session, self.citizens[index], subject.id, chosen(choice)),
                               None if is_person else NotThePerson, acting=None, weakens_all=is_person)
            if is_person:
                self.supersede(mask_for(choice))
                self.check_version(version, "person")

        @rule(index=accounts)
        def withdraw_as_person(self, index: int) -> None:
            subject = find_subject(session, keyring, self.identifier)
            if subject is None:
                return
            is_person = self.person == index
            refusal = NotThePerson if not is_person else (NoActiveOpposition if self.union() == 0 else None)
            version = self.run(lambda: withdraw_as_person(session, self.citizens[index], subject.id),
                               refusal, acting=None, weakens_all=refusal is None)
            if refusal is None:
                self.supersede(0)
                self.check_version(version, "person")

        @rule(channel=st.sampled_from(CHANNELS), request=st.sampled_from(["add", "set", "withdraw"]),
              evidence=st.booleans(), choice=choices)
        def agent_filing(self, channel: str, request: str, evidence: bool, choice: int | None) -> None:
            operation = lambda: agent_filing(session, keyring, self.identifier, request=request,  # noqa: E731
                                             purposes=chosen(choice), channel=channel, agent="staff:1",
                                             evidence_checked=evidence)
            if request == "add":  # each agent filing is a claim of its own, named after its channel
                outcome = self.run(operation, None, acting=None)  # a new claim: every other one stays
                holder = outcome.version.claim.holder
                assert holder.startswith(f"channel:{channel}:") and holder not in self.held
                self.add(holder, mask_for(choice), "agent")
                assert not outcome.for_the_person
                self.check_version(outcome.version, holder)
                return
            if channel == "phone":
                refusal = StrengthenOnlyChannel
            elif not evidence:
                refusal = EvidenceRequired
            elif request == "withdraw" and self.union() == 0:
                refusal = NoActiveOpposition
            else:
                refusal = None
            versions = self.observed()[0]
            outcome = self.run(operation, refusal, acting=None, weakens_all=refusal is None)
            if refusal is None:
                self.supersede(0 if request == "withdraw" else mask_for(choice))
                self.known = True
                assert outcome.for_the_person
                if self.observed()[0] > versions:  # else the person's claim already held it: its version
                    assert outcome.version.evidence == EVIDENCE[channel]
                self.check_version(outcome.version, "person")

        # --- after every step -----------------------------------------------------------------

        @invariant()
        def the_registry_matches_the_model(self) -> None:
            if not self.citizens:
                return
            _, claims, cached, in_force = self.observed()
            union = self.union()
            assert cached == union, "Subject.opposed_purposes is not the union of the claims"
            assert in_force == union, "current_opposition is not the union of the claims"
            assert claims == self.held, "a claim holds other purposes than the model's"
            for holder, relation in self.relation.items():
                claim = session.scalar(select(Claim).join(Subject).where(
                    Subject.id_hash == keyring.hasher.digest(self.identifier.value), Claim.holder == holder))
                assert claim.relation == relation

    return Ownership


def test_ownership_follows_the_model(machine):
    run_state_machine_as_test(machine, settings=SETTINGS)
