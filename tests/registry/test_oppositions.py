import pytest
from sqlalchemy import func, select

from registry.errors import InvalidChoice, NoActiveOpposition, NothingChosen
from registry.identifiers import parse_identifier
from registry.models import OppositionVersion, Subject
from registry.oppositions import (
    RECEIPT_ALPHABET,
    Filing,
    change_purposes,
    current_opposition,
    file_opposition,
    opposition_history,
    withdraw_opposition,
)
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

PERSON = parse_identifier(make_nir(2, 85, 2, "2A", "004", 123))
CHILD = parse_identifier(make_nir(1, 18, 3, "69", "123", 12))


def versions_of(session):
    return session.scalar(select(func.count()).select_from(OppositionVersion))


def test_filing_without_choosing_opposes_every_purpose(session, keyring):
    version = file_opposition(session, keyring, PERSON)
    state = current_opposition(session, keyring, PERSON)
    assert state.active
    assert state.purposes == list(Purpose)
    assert version.action == "filed"
    assert (version.channel, version.actor, version.proxy_for) == ("online", "self", None)


def test_filing_the_same_thing_twice_is_idempotent(session, keyring):
    first = file_opposition(session, keyring, PERSON, [Purpose.AI, Purpose.RESEARCH])
    again = file_opposition(session, keyring, PERSON, [Purpose.RESEARCH, Purpose.AI])
    assert again.id == first.id
    assert versions_of(session) == 1


def test_change_withdraw_and_refile_each_make_a_new_version(session, keyring):
    file_opposition(session, keyring, PERSON)
    change_purposes(session, keyring, PERSON, [Purpose.AI])
    assert current_opposition(session, keyring, PERSON).purposes == [Purpose.AI]
    withdraw_opposition(session, keyring, PERSON)
    state = current_opposition(session, keyring, PERSON)
    assert not state.active and state.purposes == []
    file_opposition(session, keyring, PERSON, [Purpose.STATISTICS])
    history = opposition_history(session, keyring, PERSON)
    assert [v.action for v in history] == ["filed", "changed", "withdrawn", "refiled"]
    assert [v.version for v in history] == [1, 2, 3, 4]
    assert history[-1].purposes == [Purpose.STATISTICS]


def test_withdrawing_or_changing_without_an_opposition_is_refused(session, keyring):
    with pytest.raises(NoActiveOpposition):
        withdraw_opposition(session, keyring, PERSON)
    with pytest.raises(NoActiveOpposition):
        change_purposes(session, keyring, PERSON, [Purpose.AI])
    file_opposition(session, keyring, PERSON)
    withdraw_opposition(session, keyring, PERSON)
    with pytest.raises(NoActiveOpposition):
        withdraw_opposition(session, keyring, PERSON)


def test_an_empty_choice_is_refused(session, keyring):
    with pytest.raises(NothingChosen):
        file_opposition(session, keyring, PERSON, [])
    assert versions_of(session) == 0


def test_a_proxy_filing_is_recorded_as_such(session, keyring):
    filing = Filing(actor="proxy", proxy_for="minor", filed_by="account:7")
    version = file_opposition(session, keyring, CHILD, None, filing)
    assert (version.actor, version.proxy_for, version.filed_by) == ("proxy", "minor", "account:7")


@pytest.mark.parametrize(
    "filing",
    [
        dict(channel="fax"),
        dict(actor="neighbour"),
        dict(actor="proxy"),
        dict(actor="self", proxy_for="minor"),
        dict(actor="proxy", proxy_for="cousin"),
    ],
    ids=["unknown channel", "unknown actor", "proxy without whom", "self with proxy kind", "unknown proxy kind"],
)
def test_inconsistent_filings_are_refused(filing):
    with pytest.raises(InvalidChoice):
        Filing(**filing)


def test_agent_channel_and_effective_time_are_kept(session, keyring):
    import datetime as dt

    when = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)
    version = file_opposition(session, keyring, PERSON, None, Filing(channel="post", actor="agent", filed_by="staff:3", effective_at=when))
    session.expire_all()
    stored = session.get(OppositionVersion, version.id)
    assert (stored.channel, stored.actor, stored.effective_at) == ("post", "agent", when)


def test_receipt_references_are_unguessable_and_unique(session, keyring):
    file_opposition(session, keyring, PERSON)
    change_purposes(session, keyring, PERSON, [Purpose.AI])
    references = [v.receipt_reference for v in opposition_history(session, keyring, PERSON)]
    assert len(set(references)) == 2
    for reference in references:
        body = reference.removeprefix("RNO-").replace("-", "")
        assert len(body) == 16 and set(body) <= set(RECEIPT_ALPHABET)


def test_the_subject_row_holds_the_key_ids_and_the_oprf_output(session, keyring):
    file_opposition(session, keyring, PERSON)
    subject = session.scalars(select(Subject)).one()
    assert subject.hash_key_id == keyring.hasher.key_id
    assert subject.oprf_key_id == keyring.oprf.key_id
    assert subject.oprf_output == keyring.oprf.output(PERSON.value)
    assert subject.id_hash == keyring.hasher.digest(PERSON.value)


def test_a_failed_unit_of_work_leaves_no_half_opposition(session, keyring):
    nested = session.begin_nested()
    file_opposition(session, keyring, PERSON)
    nested.rollback()
    assert session.scalar(select(func.count()).select_from(Subject)) == 0
    assert versions_of(session) == 0
    assert not current_opposition(session, keyring, PERSON).active


# --- claims: each holder its own, the opposition in force their union ---------------------------

COUNTER = Filing(channel="counter", actor="agent", filed_by="staff:1")
ACCOUNT = Filing(actor="self", filed_by="account:7")


def claims_of(session, keyring, identifier):
    from registry.models import Claim
    from registry.oppositions import find_subject

    subject = find_subject(session, keyring, identifier)
    return {c.holder: c.purposes_mask for c in session.scalars(select(Claim).where(Claim.subject_id == subject.id))}


def test_each_holder_sets_its_own_claim_and_the_union_is_in_force(session, keyring):
    counter = file_opposition(session, keyring, PERSON, [Purpose.RESEARCH], COUNTER)
    account = file_opposition(session, keyring, PERSON, [Purpose.AI], ACCOUNT)
    assert claims_of(session, keyring, PERSON) == {COUNTER.holder_key: Purpose.RESEARCH.bit,
                                                   "account:7": Purpose.AI.bit}
    assert (counter.claim_mask, account.claim_mask) == (Purpose.RESEARCH.bit, Purpose.AI.bit)
    assert account.purposes == [Purpose.RESEARCH, Purpose.AI]
    assert account.claim_id != counter.claim_id
    withdraw_opposition(session, keyring, PERSON, ACCOUNT)
    assert current_opposition(session, keyring, PERSON).purposes == [Purpose.RESEARCH]
    with pytest.raises(NoActiveOpposition):
        change_purposes(session, keyring, PERSON, [Purpose.AI], ACCOUNT)


def test_setting_a_claim_to_what_it_holds_returns_that_claims_version(session, keyring):
    first = file_opposition(session, keyring, PERSON, [Purpose.AI], ACCOUNT)
    file_opposition(session, keyring, PERSON, None, COUNTER)
    again = file_opposition(session, keyring, PERSON, [Purpose.AI], ACCOUNT)
    assert again.id == first.id
    assert versions_of(session) == 2


def test_superseding_ends_every_other_claim(session, keyring):
    from registry.oppositions import find_subject, supersede_claims

    file_opposition(session, keyring, PERSON, None, COUNTER)
    file_opposition(session, keyring, PERSON, [Purpose.AI], ACCOUNT)
    subject = find_subject(session, keyring, PERSON)
    version = supersede_claims(session, subject, Purpose.STATISTICS.bit, Filing(filed_by="account:9"), PERSON)
    assert claims_of(session, keyring, PERSON) == {COUNTER.holder_key: 0, "account:7": 0,
                                                   "person": Purpose.STATISTICS.bit}
    assert (version.purposes_mask, version.claim_mask) == (Purpose.STATISTICS.bit, Purpose.STATISTICS.bit)
    assert version.filed_by == "account:9"
    assert current_opposition(session, keyring, PERSON).purposes == [Purpose.STATISTICS]
    supersede_claims(session, subject, 0, Filing(filed_by="account:9"), PERSON)
    assert not current_opposition(session, keyring, PERSON).active
    with pytest.raises(NoActiveOpposition):
        supersede_claims(session, subject, 0, Filing(filed_by="account:9"), PERSON)
