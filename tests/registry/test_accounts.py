import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.accounts import account_for_login
from registry.errors import NoActiveOpposition
from registry.identifiers import parse_identifier
from registry.identity_proof import IdentityClaims
from registry.models import Claim, OppositionVersion
from registry.oppositions import current_opposition, find_subject
from registry.ownership import (
    AlreadyFiledForSelf,
    SelfAsProxy,
    change_as_person,
    change_own_claim,
    citizen_for,
    file_as_proxy,
    file_for_self,
    withdraw_as_person,
    withdraw_own_claim,
)
from registry.purposes import Purpose
from registry.visibility import citizen_view, receipt_for
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 12, 4)
PARENT = parse_identifier(make_nir(2, 90, 6, "75", "056", 78))
PARENT_CLAIMS = IdentityClaims("female", "1990-06-21", "75056", "99100")
# the same traits without a birthplace: they agree with the number but cannot prove it
PARENT_UNPROVED = IdentityClaims("female", "1990-06-21")
SIBLING = parse_identifier(make_nir(2, 90, 6, "75", "056", 79))  # the same traits, another number
CHILD = parse_identifier(make_nir(1, 18, 3, "69", "123", 12))
CHILD_BIRTHDATE = dt.date(2018, 3, 9)


def citizen(session, keyring, sub="sub"):
    return citizen_for(session, keyring, account_for_login(session, "https://fc.example", sub).id)


def claims_on(session, keyring, identifier):
    subject = find_subject(session, keyring, identifier)
    return list(session.scalars(select(Claim).where(Claim.subject_id == subject.id).order_by(Claim.id)))


def test_an_account_is_found_again_by_issuer_and_sub(session):
    first = account_for_login(session, "https://fc.example", "sub-1")
    again = account_for_login(session, "https://fc.example", "sub-1")
    elsewhere = account_for_login(session, "https://other.example", "sub-1")
    assert first.id == again.id != elsewhere.id


def test_filing_twice_for_oneself_keeps_one_version_and_one_claim(session, keyring):
    me = citizen(session, keyring)
    first = file_for_self(session, keyring, me, PARENT, PARENT_CLAIMS, None)
    again = file_for_self(session, keyring, me, PARENT, PARENT_CLAIMS, None)
    assert first.as_person and again.as_person
    assert again.version.id == first.version.id
    assert [(c.holder, c.relation) for c in claims_on(session, keyring, PARENT)] == [("person", "person")]
    assert (first.version.filed_by, first.version.actor) == (me.holder, "self")


def test_filing_twice_for_oneself_unproved_keeps_one_version_and_one_account_claim(session, keyring):
    me = citizen(session, keyring)
    first = file_for_self(session, keyring, me, PARENT, PARENT_UNPROVED, None)
    again = file_for_self(session, keyring, me, PARENT, PARENT_UNPROVED, None)
    assert (first.as_person, first.unverifiable) == (False, "no_birthplace")
    assert again.version.id == first.version.id
    assert [(c.holder, c.relation) for c in claims_on(session, keyring, PARENT)] == [(me.holder, "self")]


def test_a_proxy_filing_is_recorded_as_proxy_and_listed_after_the_own_claim(session, keyring):
    me = citizen(session, keyring)
    proxy_version = file_as_proxy(session, keyring, me, CHILD, CHILD_BIRTHDATE, "minor", [Purpose.AI], TODAY)
    file_for_self(session, keyring, me, PARENT, PARENT_UNPROVED, None)
    view = citizen_view(session, me, TODAY)
    assert view.person is None
    assert [record.claim.relation for record in view.claims] == ["self", "proxy"]
    assert (proxy_version.actor, proxy_version.proxy_for) == ("proxy", "minor")
    assert view.claims[1].claim.proxy_for == "minor"


def test_a_proved_account_sees_its_person_and_its_proxy_claims(session, keyring):
    me = citizen(session, keyring)
    file_as_proxy(session, keyring, me, CHILD, CHILD_BIRTHDATE, "minor", [Purpose.AI], TODAY)
    file_for_self(session, keyring, me, PARENT, PARENT_CLAIMS, None)
    view = citizen_view(session, me, TODAY)
    assert view.person.subject_id == find_subject(session, keyring, PARENT).id
    assert [record.claim.relation for record in view.claims] == ["proxy"]


def test_an_account_cannot_file_for_two_different_selves(session, keyring):
    unproved = citizen(session, keyring, "unproved")
    file_for_self(session, keyring, unproved, PARENT, PARENT_UNPROVED, None)
    with pytest.raises(AlreadyFiledForSelf):
        file_for_self(session, keyring, unproved, SIBLING, PARENT_UNPROVED, None)
    proved = citizen(session, keyring, "proved")
    file_for_self(session, keyring, proved, SIBLING, PARENT_CLAIMS, None)
    with pytest.raises(AlreadyFiledForSelf):
        file_for_self(session, keyring, proved, PARENT, PARENT_CLAIMS, None)


@pytest.mark.parametrize("claims", [PARENT_CLAIMS, PARENT_UNPROVED], ids=["proved", "unproved"])
def test_the_holders_own_number_is_refused_as_a_proxy_filing(session, keyring, claims):
    me = citizen(session, keyring)
    file_for_self(session, keyring, me, PARENT, claims, None)
    with pytest.raises(SelfAsProxy):
        file_as_proxy(session, keyring, me, PARENT, dt.date(1990, 6, 21), "protected_adult", None, TODAY)


def test_change_withdraw_and_refile_an_own_claim(session, keyring):
    me = citizen(session, keyring)
    file_for_self(session, keyring, me, PARENT, PARENT_UNPROVED, None)
    claim_id = citizen_view(session, me, TODAY).claims[0].claim.id
    changed = change_own_claim(session, me, claim_id, [Purpose.RESEARCH], TODAY)
    withdrawn = withdraw_own_claim(session, me, claim_id, TODAY)
    with pytest.raises(NoActiveOpposition):
        withdraw_own_claim(session, me, claim_id, TODAY)
    refiled = change_own_claim(session, me, claim_id, None, TODAY)
    assert [changed.action, withdrawn.action, refiled.action] == ["changed", "withdrawn", "refiled"]
    assert [changed.claim_mask, withdrawn.claim_mask] == [Purpose.RESEARCH.bit, 0]
    assert current_opposition(session, keyring, PARENT).purposes == list(Purpose)


def test_change_withdraw_and_refile_as_the_person(session, keyring):
    me = citizen(session, keyring)
    subject_id = file_for_self(session, keyring, me, PARENT, PARENT_CLAIMS, None).version.subject_id
    changed = change_as_person(session, me, subject_id, [Purpose.RESEARCH])
    withdrawn = withdraw_as_person(session, me, subject_id)
    with pytest.raises(NoActiveOpposition):
        withdraw_as_person(session, me, subject_id)
    refiled = change_as_person(session, me, subject_id, None)
    assert [changed.action, withdrawn.action, refiled.action] == ["changed", "withdrawn", "refiled"]
    assert current_opposition(session, keyring, PARENT).active


def test_a_receipt_is_only_found_by_the_account_that_filed(session, keyring):
    owner = citizen(session, keyring, "owner")
    stranger = citizen(session, keyring, "stranger")
    version = file_as_proxy(session, keyring, owner, CHILD, CHILD_BIRTHDATE, "minor", None, TODAY)
    receipt = receipt_for(session, owner, version.receipt_reference, TODAY)
    assert receipt.version.id == version.id and not receipt.as_person
    assert receipt_for(session, stranger, version.receipt_reference, TODAY) is None
    assert receipt_for(session, owner, "RNO-NONE-NONE-NONE-NONE", TODAY) is None
    assert session.scalar(select(func.count()).select_from(OppositionVersion)) == 1
