"""The ownership rules of registry.ownership, one test per rule: "one can always say no more; only
who said no can say less". Every number here is synthetic; none is printed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.accounts import account_for_login
from registry.errors import NoActiveOpposition
from registry.identifiers import IdentityMismatch, parse_identifier
from registry.identity_proof import IdentityClaims
from registry.models import Claim, OppositionVersion
from registry.oppositions import current_opposition, find_subject, written_in_session
from registry.ownership import (
    ClaimNotFound,
    EvidenceRequired,
    NotThePerson,
    ProxyAgeMismatch,
    SelfAsProxy,
    StrengthenOnlyChannel,
    agent_filing,
    change_as_person,
    change_own_claim,
    citizen_for,
    file_as_proxy,
    file_for_self,
    find_my_opposition,
    own_claim,
    withdraw_as_person,
    withdraw_own_claim,
)
from registry.persons import PersonBinding, ProofAttempt
from registry.purposes import ALL_PURPOSES_MASK, Purpose, mask_of
from registry.transparency import record_applications
from registry.visibility import citizen_view, receipt_for
from registry.warehouses import create_warehouse, get_warehouse
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 12, 4)
PERSON = parse_identifier(make_nir(2, 85, 2, "2A", "004", 123))
PERSON_BIRTHDATE = dt.date(1985, 2, 14)
PERSON_CLAIMS = IdentityClaims("female", "1985-02-14", "2A004", "99100")
PERSON_UNPROVED = IdentityClaims("female", "1985-02-14")  # agrees, but without a birthplace
CHILD = parse_identifier(make_nir(1, 18, 3, "69", "123", 12))
CHILD_BIRTHDATE = dt.date(2018, 3, 9)
CHILD_ADULT_DAY = dt.date(2036, 3, 9)
AI, RESEARCH, STATISTICS = Purpose.AI, Purpose.RESEARCH, Purpose.STATISTICS


def citizen(session, keyring, sub):
    return citizen_for(session, keyring, account_for_login(session, "https://fc.example", sub).id)


def effective(session, keyring, identifier) -> int:
    return mask_of(current_opposition(session, keyring, identifier).purposes)


def channel_of(holder: str) -> str:
    """``channel:counter`` for the claim of one counter filing (``channel:counter:<token>``)."""
    return ":".join(holder.split(":")[:2]) if holder.startswith("channel:") else holder


def claims(session, keyring, identifier) -> dict[str, int]:
    """holder -> mask, each agent filing's claim named by its channel (one per channel here)."""
    subject = find_subject(session, keyring, identifier)
    held = {channel_of(c.holder): c.purposes_mask
            for c in session.scalars(select(Claim).where(Claim.subject_id == subject.id))}
    assert len(held) == session.scalar(select(func.count()).select_from(Claim).where(Claim.subject_id == subject.id))
    return held


def version_count(session) -> int:
    return session.scalar(select(func.count()).select_from(OppositionVersion))


def counter(session, keyring, identifier, purposes=None, *, request="add", evidence=False):
    return agent_filing(session, keyring, identifier, request=request, purposes=purposes, channel="counter",
                        agent="staff:1", evidence_checked=evidence)


def test_strengthening_adds_to_the_holders_claim_and_its_version_holds_only_that_claim(session, keyring):
    counter(session, keyring, PERSON, [RESEARCH])
    holder = citizen(session, keyring, "unproved")
    first = file_for_self(session, keyring, holder, PERSON, PERSON_UNPROVED, [AI]).version
    second = file_for_self(session, keyring, holder, PERSON, PERSON_UNPROVED, [STATISTICS]).version
    assert (first.claim_mask, second.claim_mask) == (AI.bit, AI.bit | STATISTICS.bit)
    assert second.claim_id == first.claim_id
    assert claims(session, keyring, PERSON) == {"channel:counter": RESEARCH.bit, holder.holder: AI.bit | STATISTICS.bit}
    assert effective(session, keyring, PERSON) == RESEARCH.bit | AI.bit | STATISTICS.bit
    # adding what the claim already holds writes nothing and answers with the holder's own version
    again = file_for_self(session, keyring, holder, PERSON, PERSON_UNPROVED, [AI]).version
    assert again.id == second.id


def test_a_strangers_proxy_filing_gives_the_stranger_its_own_claim_only(session, keyring):
    person = citizen(session, keyring, "person")
    filed = file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI, RESEARCH])
    assert filed.as_person
    stranger = citizen(session, keyring, "stranger")
    version = file_as_proxy(session, keyring, stranger, PERSON, PERSON_BIRTHDATE, "protected_adult", [AI], TODAY)
    assert effective(session, keyring, PERSON) == AI.bit | RESEARCH.bit

    view = citizen_view(session, stranger, TODAY)
    assert view.person is None
    [record] = view.claims
    assert record.claim.id == version.claim_id and record.claim.purposes == [AI]
    assert [v.id for v in record.history] == [version.id]
    assert receipt_for(session, stranger, filed.version.receipt_reference, TODAY) is None
    assert receipt_for(session, stranger, version.receipt_reference, TODAY).claim.id == version.claim_id

    withdraw_own_claim(session, stranger, version.claim_id, TODAY)
    assert effective(session, keyring, PERSON) == AI.bit | RESEARCH.bit
    assert claims(session, keyring, PERSON)["person"] == AI.bit | RESEARCH.bit
    with pytest.raises(NotThePerson):
        withdraw_as_person(session, stranger, version.subject_id)


def test_a_holder_narrowing_or_withdrawing_its_own_claim_never_goes_below_the_other_claims(session, keyring):
    counter(session, keyring, PERSON, [RESEARCH])
    proxy = citizen(session, keyring, "proxy")
    file_as_proxy(session, keyring, proxy, PERSON, PERSON_BIRTHDATE, "protected_adult", [STATISTICS], TODAY)
    holder = citizen(session, keyring, "holder")
    claim_id = file_for_self(session, keyring, holder, PERSON, PERSON_UNPROVED, None).version.claim_id
    assert effective(session, keyring, PERSON) == ALL_PURPOSES_MASK

    narrowed = change_own_claim(session, holder, claim_id, [AI], TODAY)
    assert (narrowed.claim_mask, narrowed.purposes_mask) == (AI.bit, AI.bit | RESEARCH.bit | STATISTICS.bit)
    withdrawn = withdraw_own_claim(session, holder, claim_id, TODAY)
    assert (withdrawn.claim_mask, withdrawn.purposes_mask) == (0, RESEARCH.bit | STATISTICS.bit)
    assert claims(session, keyring, PERSON) == {"channel:counter": RESEARCH.bit, proxy.holder: STATISTICS.bit,
                                                holder.holder: 0}


def test_own_claim_refuses_another_holders_claim(session, keyring):
    owner = citizen(session, keyring, "owner")
    other = citizen(session, keyring, "other")
    owned = file_as_proxy(session, keyring, owner, CHILD, CHILD_BIRTHDATE, "minor", [AI], TODAY).claim_id
    at_counter = counter(session, keyring, CHILD).version.claim_id
    assert own_claim(session, owner, owned, TODAY).id == owned
    before = (version_count(session), claims(session, keyring, CHILD))
    for claim_id in (owned, at_counter, 999_999):
        with pytest.raises(ClaimNotFound):
            own_claim(session, other, claim_id, TODAY)
        with pytest.raises(ClaimNotFound):
            change_own_claim(session, other, claim_id, [RESEARCH], TODAY)
        with pytest.raises(ClaimNotFound):
            withdraw_own_claim(session, other, claim_id, TODAY)
    with pytest.raises(ClaimNotFound):
        withdraw_own_claim(session, owner, at_counter, TODAY)
    assert (version_count(session), claims(session, keyring, CHILD)) == before


def test_a_minors_proxy_loses_sight_of_its_claim_on_the_18th_birthday(session, keyring):
    parent = citizen(session, keyring, "parent")
    version = file_as_proxy(session, keyring, parent, CHILD, CHILD_BIRTHDATE, "minor", [AI], TODAY)
    eve = CHILD_ADULT_DAY - dt.timedelta(days=1)
    assert [r.claim.id for r in citizen_view(session, parent, eve).claims] == [version.claim_id]
    assert receipt_for(session, parent, version.receipt_reference, eve) is not None

    assert citizen_view(session, parent, CHILD_ADULT_DAY).claims == []
    assert receipt_for(session, parent, version.receipt_reference, CHILD_ADULT_DAY) is None
    with pytest.raises(ClaimNotFound):
        own_claim(session, parent, version.claim_id, CHILD_ADULT_DAY)
    with pytest.raises(ClaimNotFound):
        change_own_claim(session, parent, version.claim_id, [RESEARCH], CHILD_ADULT_DAY)
    with pytest.raises(ClaimNotFound):
        withdraw_own_claim(session, parent, version.claim_id, CHILD_ADULT_DAY)
    # the claim still counts
    assert effective(session, keyring, CHILD) == AI.bit
    assert claims(session, keyring, CHILD) == {parent.holder: AI.bit}


@pytest.mark.parametrize(("identifier", "birthdate", "proxy_for", "today", "code"), [
    (PERSON, PERSON_BIRTHDATE, "minor", TODAY, "minor_is_adult"),
    (CHILD, CHILD_BIRTHDATE, "minor", CHILD_ADULT_DAY, "minor_is_adult"),
    (CHILD, CHILD_BIRTHDATE, "protected_adult", TODAY, "protected_adult_is_minor"),
    (CHILD, CHILD_BIRTHDATE, "protected_adult", CHILD_ADULT_DAY - dt.timedelta(days=1), "protected_adult_is_minor"),
], ids=["adult as minor", "minor on the 18th birthday", "minor as protected adult", "eve of 18 as protected adult"])
def test_a_proxy_filing_must_fit_the_age_on_the_filing_date(session, keyring, identifier, birthdate, proxy_for,
                                                            today, code):
    proxy = citizen(session, keyring, "proxy")
    with pytest.raises(ProxyAgeMismatch) as refused:
        file_as_proxy(session, keyring, proxy, identifier, birthdate, proxy_for, None, today)
    assert refused.value.code == code
    assert version_count(session) == 0


def test_a_proxy_filing_fits_on_either_side_of_the_18th_birthday(session, keyring):
    proxy = citizen(session, keyring, "proxy")
    eve = CHILD_ADULT_DAY - dt.timedelta(days=1)
    minor = file_as_proxy(session, keyring, proxy, CHILD, CHILD_BIRTHDATE, "minor", [AI], eve)
    adult = file_as_proxy(session, keyring, proxy, CHILD, CHILD_BIRTHDATE, "protected_adult", [RESEARCH],
                          CHILD_ADULT_DAY)
    assert (minor.proxy_for, adult.proxy_for) == ("minor", "protected_adult")
    with pytest.raises(IdentityMismatch):  # a birth date that contradicts the number
        file_as_proxy(session, keyring, proxy, CHILD, dt.date(2017, 3, 9), "minor", None, TODAY)


def test_a_proved_person_cannot_be_proxy_for_their_own_number(session, keyring):
    person = citizen(session, keyring, "person")
    file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI])
    before = version_count(session)
    with pytest.raises(SelfAsProxy):
        file_as_proxy(session, keyring, person, PERSON, PERSON_BIRTHDATE, "protected_adult", None, TODAY)
    assert version_count(session) == before
    assert effective(session, keyring, PERSON) == AI.bit


def test_the_person_supersedes_every_claim_on_change_and_on_withdrawal(session, keyring):
    counter(session, keyring, PERSON)
    stranger = citizen(session, keyring, "stranger")
    proxy_claim = file_as_proxy(session, keyring, stranger, PERSON, PERSON_BIRTHDATE, "protected_adult", [AI],
                                TODAY).claim_id
    unproved = citizen(session, keyring, "unproved")
    file_for_self(session, keyring, unproved, PERSON, PERSON_UNPROVED, [STATISTICS])
    person = citizen(session, keyring, "person")
    subject_id = file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [RESEARCH]).version.subject_id

    changed = change_as_person(session, person, subject_id, [STATISTICS])
    assert (changed.claim_mask, changed.purposes_mask) == (STATISTICS.bit, STATISTICS.bit)
    assert claims(session, keyring, PERSON) == {"channel:counter": 0, stranger.holder: 0, unproved.holder: 0,
                                                "person": STATISTICS.bit}
    [record] = citizen_view(session, stranger, TODAY).claims
    assert record.claim.id == proxy_claim and record.superseded

    file_as_proxy(session, keyring, stranger, PERSON, PERSON_BIRTHDATE, "protected_adult", [AI], TODAY)
    assert effective(session, keyring, PERSON) == STATISTICS.bit | AI.bit  # anyone may add again
    withdrawn = withdraw_as_person(session, person, subject_id)
    assert (withdrawn.action, withdrawn.purposes_mask) == ("withdrawn", 0)
    assert set(claims(session, keyring, PERSON).values()) == {0}
    assert not current_opposition(session, keyring, PERSON).active
    for other in (stranger, unproved):
        with pytest.raises(NotThePerson):
            change_as_person(session, other, subject_id, [AI])


def test_a_second_identity_with_the_same_traits_is_not_the_person(session, keyring):
    person = citizen(session, keyring, "person")
    subject_id = file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI]).version.subject_id
    twin = citizen(session, keyring, "twin")
    outcome = file_for_self(session, keyring, twin, PERSON, PERSON_CLAIMS, [RESEARCH])
    assert (outcome.as_person, outcome.other_identity) == (False, True)
    assert outcome.version.claim.holder == twin.holder and outcome.version.claim_mask == RESEARCH.bit
    assert session.get(PersonBinding, subject_id).identity_hash == person.identity
    attempts = select(func.count()).select_from(ProofAttempt).where(ProofAttempt.subject_id == subject_id)
    assert session.scalar(attempts) == 1
    assert find_my_opposition(session, keyring, twin, PERSON, PERSON_CLAIMS).other_identity

    assert citizen_view(session, twin, TODAY).person is None
    assert len(citizen_view(session, person, TODAY).person.attempts) == 2
    with pytest.raises(NotThePerson):
        withdraw_as_person(session, twin, subject_id)


def test_unverifiable_traits_give_a_strengthen_only_account_claim(session, keyring):
    counter(session, keyring, PERSON)
    unproved = citizen(session, keyring, "unproved")
    outcome = file_for_self(session, keyring, unproved, PERSON, PERSON_UNPROVED, [AI])
    assert (outcome.as_person, outcome.unverifiable, outcome.other_identity) == (False, "no_birthplace", False)
    assert outcome.version.claim.holder == unproved.holder and outcome.version.claim.relation == "self"
    assert session.get(PersonBinding, outcome.version.subject_id) is None
    with pytest.raises(NotThePerson):
        withdraw_as_person(session, unproved, outcome.version.subject_id)
    withdraw_own_claim(session, unproved, outcome.version.claim_id, TODAY)
    assert effective(session, keyring, PERSON) == ALL_PURPOSES_MASK


def test_finding_my_opposition_files_nothing_then_shows_it_with_its_history(session, keyring):
    first = counter(session, keyring, PERSON, [AI]).version
    second = agent_filing(session, keyring, PERSON, request="add", purposes=[RESEARCH], channel="phone",
                          agent="staff:2", evidence_checked=False).version
    person = citizen(session, keyring, "person")
    before = version_count(session)
    outcome = find_my_opposition(session, keyring, person, PERSON, PERSON_CLAIMS)
    assert (outcome.version, outcome.as_person) == (None, True)
    assert version_count(session) == before
    record = citizen_view(session, person, TODAY).person
    assert record.state.purposes == [RESEARCH, AI]
    assert [v.id for v in record.history] == [second.id, first.id]
    assert {channel_of(c.holder) for c in record.claims} == {"channel:counter", "channel:phone"}
    assert receipt_for(session, person, first.receipt_reference, TODAY).as_person
    other = citizen(session, keyring, "other")
    with pytest.raises(NoActiveOpposition):
        find_my_opposition(session, keyring, other, CHILD, IdentityClaims("male", "2018-03-09", "69123", "99100"))


def test_finding_with_unverifiable_traits_does_not_tell_whether_the_number_is_known(session, keyring):
    counter(session, keyring, PERSON)
    unproved = citizen(session, keyring, "unproved")
    known = find_my_opposition(session, keyring, unproved, PERSON, PERSON_UNPROVED)
    unknown = find_my_opposition(session, keyring, unproved, CHILD, IdentityClaims("male", "2018-03-09"))
    assert known == unknown == type(known)(None, False, unverifiable="no_birthplace")
    assert session.scalar(select(func.count()).select_from(ProofAttempt)) == 0


def test_warehouse_applications_show_in_the_persons_record_only(session, keyring):
    person = citizen(session, keyring, "person")
    file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI])
    stranger = citizen(session, keyring, "stranger")
    file_as_proxy(session, keyring, stranger, PERSON, PERSON_BIRTHDATE, "protected_adult", [AI], TODAY)
    warehouse = get_warehouse(session, create_warehouse(session, "EDS AP-HP").client_id).id
    record_applications(session, warehouse, [keyring.hasher.digest(PERSON.value)], AI)

    seen = citizen_view(session, person, TODAY).person.applications
    assert [(a.warehouse_name, a.purpose) for a in seen] == [("EDS AP-HP", AI)]
    view = citizen_view(session, stranger, TODAY)
    assert view.person is None and len(view.claims) == 1
    assert not hasattr(view.claims[0], "applications")


def test_each_agent_filing_is_a_claim_of_its_own_that_shows_nothing_of_earlier_callers(session, keyring):
    def phone(purposes):
        return agent_filing(session, keyring, PERSON, request="add", purposes=purposes, channel="phone",
                            agent="staff:2", evidence_checked=False).version

    first, second, again = phone([AI]), phone([RESEARCH]), phone([AI])
    assert len({first.claim_id, second.claim_id, again.claim_id}) == 3
    assert (second.claim_mask, again.claim_mask) == (RESEARCH.bit, AI.bit)
    assert effective(session, keyring, PERSON) == AI.bit | RESEARCH.bit


@pytest.mark.parametrize("request_", ["withdraw", "set"])
@pytest.mark.parametrize("evidence", [False, True], ids=["without evidence", "with evidence"])
def test_by_phone_an_agent_only_adds(session, keyring, request_, evidence):
    counter(session, keyring, PERSON)
    before = (version_count(session), claims(session, keyring, PERSON))
    with pytest.raises(StrengthenOnlyChannel):
        agent_filing(session, keyring, PERSON, request=request_, purposes=[AI], channel="phone", agent="staff:2",
                     evidence_checked=evidence)
    assert (version_count(session), claims(session, keyring, PERSON)) == before
    added = agent_filing(session, keyring, PERSON, request="add", purposes=[AI], channel="phone", agent="staff:2",
                         evidence_checked=evidence)
    assert not added.for_the_person and added.version.claim.holder.startswith("channel:phone:")


@pytest.mark.parametrize("channel", ["counter", "post"])
@pytest.mark.parametrize("request_", ["withdraw", "set"])
def test_at_the_counter_or_by_post_weakening_needs_the_evidence(session, keyring, channel, request_):
    stranger = citizen(session, keyring, "stranger")
    file_as_proxy(session, keyring, stranger, PERSON, PERSON_BIRTHDATE, "protected_adult", None, TODAY)
    before = (version_count(session), claims(session, keyring, PERSON))
    with pytest.raises(EvidenceRequired):
        agent_filing(session, keyring, PERSON, request=request_, purposes=[AI], channel=channel, agent="staff:1",
                     evidence_checked=False)
    assert (version_count(session), claims(session, keyring, PERSON)) == before


@pytest.mark.parametrize(("channel", "evidence"), [("counter", "identity_document"), ("post", "identity_copy")])
def test_with_the_evidence_an_agent_speaks_for_the_person_and_supersedes(session, keyring, channel, evidence):
    stranger = citizen(session, keyring, "stranger")
    file_as_proxy(session, keyring, stranger, PERSON, PERSON_BIRTHDATE, "protected_adult", None, TODAY)
    counter(session, keyring, PERSON, [AI])
    changed = agent_filing(session, keyring, PERSON, request="set", purposes=[RESEARCH], channel=channel,
                           agent="staff:1", evidence_checked=True)
    assert changed.for_the_person and changed.version.evidence == evidence
    assert claims(session, keyring, PERSON) == {stranger.holder: 0, "channel:counter": 0, "person": RESEARCH.bit}
    withdrawn = agent_filing(session, keyring, PERSON, request="withdraw", purposes=None, channel=channel,
                             agent="staff:1", evidence_checked=True)
    assert withdrawn.for_the_person and withdrawn.version.evidence == evidence
    assert withdrawn.version.purposes_mask == 0 and set(claims(session, keyring, PERSON).values()) == {0}
    with pytest.raises(NoActiveOpposition):
        agent_filing(session, keyring, CHILD, request="withdraw", purposes=None, channel=channel, agent="staff:1",
                     evidence_checked=True)


def test_a_receipt_says_what_its_holder_had_before_and_since_when(session, keyring):
    """The person's receipt carries the opposition in force before it (and since when); a holder's
    carries its own request before it, never the counter's; a filing that adds nothing is not
    written again (``written_in_session`` tells the two apart)."""
    first = counter(session, keyring, PERSON, [AI]).version
    person = citizen(session, keyring, "person")
    filed = file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI, RESEARCH]).version
    receipt = receipt_for(session, person, filed.receipt_reference, TODAY)
    assert (receipt.as_person, receipt.before_mask, receipt.held_since) == (True, AI.bit, first.effective_at)
    again = file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI, RESEARCH]).version
    assert again.id == filed.id and written_in_session(session, filed)
    session.commit()
    session.info.clear()  # a later request: the same filing now writes nothing
    assert not written_in_session(session, file_for_self(session, keyring, person, PERSON, PERSON_CLAIMS, [AI]).version)

    stranger = citizen(session, keyring, "stranger")
    proxy = file_as_proxy(session, keyring, stranger, CHILD, CHILD_BIRTHDATE, "minor", [AI], TODAY)
    counter(session, keyring, CHILD, [RESEARCH])
    added = file_as_proxy(session, keyring, stranger, CHILD, CHILD_BIRTHDATE, "minor", [STATISTICS], TODAY)
    receipt = receipt_for(session, stranger, added.receipt_reference, TODAY)
    assert (receipt.as_person, receipt.before_mask, receipt.held_since) == (False, AI.bit, proxy.effective_at)
