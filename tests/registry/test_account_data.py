import datetime as dt

import pytest
from sqlalchemy import select

from registry.account_data import AccountNotFound, account_record, delete_account
from registry.accounts import Account, account_for_login
from registry.audit import verify_chain
from registry.identifiers import parse_identifier
from registry.identity_proof import IdentityClaims
from registry.models import AuditEvent, Claim
from registry.oppositions import current_opposition, find_subject
from registry.ownership import (
    ClaimNotFound,
    Citizen,
    citizen_for,
    file_as_proxy,
    file_for_self,
    find_my_opposition,
    own_claim,
    withdraw_own_claim,
)
from registry.persons import PersonBinding
from registry.purposes import Purpose
from registry.transparency import record_applications
from registry.visibility import citizen_view
from registry.warehouses import create_warehouse, get_warehouse
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 12, 4)
PARENT = parse_identifier(make_nir(2, 90, 6, "75", "056", 78))
PARENT_CLAIMS = IdentityClaims("female", "1990-06-21", "75056", "99100")
PARENT_UNPROVED = IdentityClaims("female", "1990-06-21")
CHILD = parse_identifier(make_nir(1, 18, 3, "69", "123", 12))
CHILD_BIRTHDATE = dt.date(2018, 3, 9)


def citizen(session, keyring, sub):
    return citizen_for(session, keyring, account_for_login(session, "https://fc.example", sub).id)


def test_the_record_holds_the_account_the_person_its_claims_and_receipts(session, keyring):
    me = citizen(session, keyring, "sub-record")
    own = file_for_self(session, keyring, me, PARENT, PARENT_CLAIMS, [Purpose.AI]).version
    child = file_as_proxy(session, keyring, me, CHILD, CHILD_BIRTHDATE, "minor", None, TODAY)
    withdrawn = withdraw_own_claim(session, me, child.claim_id, TODAY)
    warehouse = get_warehouse(session, create_warehouse(session, "CHU de Lyon").client_id).id
    record_applications(session, warehouse, [keyring.hasher.digest(PARENT.value)], Purpose.AI)
    record_applications(session, warehouse, [keyring.hasher.digest(CHILD.value)], Purpose.AI)

    record = account_record(session, me, TODAY)
    assert record.account.subject == "sub-record"
    person = record.view.person
    assert person.state.active and person.state.purposes == [Purpose.AI]
    assert [v.receipt_reference for v in person.history] == [own.receipt_reference]
    assert [(a.warehouse_name, a.purpose) for a in person.applications] == [("CHU de Lyon", Purpose.AI)]
    [child_claim] = record.view.claims
    assert (child_claim.claim.relation, child_claim.claim.proxy_for) == ("proxy", "minor")
    assert [v.receipt_reference for v in child_claim.history] == [withdrawn.receipt_reference, child.receipt_reference]
    assert not child_claim.claim.active and not child_claim.superseded
    # a holder's record shows its claim, never where warehouses applied the person's opposition
    assert not hasattr(child_claim, "applications")


def test_deleting_the_account_keeps_every_claim(session, keyring):
    me = citizen(session, keyring, "sub-delete")
    file_for_self(session, keyring, me, PARENT, PARENT_UNPROVED, None)
    file_as_proxy(session, keyring, me, CHILD, CHILD_BIRTHDATE, "minor", None, TODAY)
    assert delete_account(session, me.account_id) == 2
    assert session.get(Account, me.account_id) is None
    held = session.scalars(select(Claim).where(Claim.holder == me.holder)).all()
    assert len(held) == 2 and all(claim.active for claim in held)
    assert current_opposition(session, keyring, PARENT).active
    assert current_opposition(session, keyring, CHILD).active
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.deleted")).one()
    assert event.target == me.holder
    assert verify_chain(session).ok


def test_deleting_a_proved_account_keeps_the_person_bound_to_its_identity(session, keyring):
    me = citizen(session, keyring, "sub-proved")
    file_for_self(session, keyring, me, PARENT, PARENT_CLAIMS, None)
    file_as_proxy(session, keyring, me, CHILD, CHILD_BIRTHDATE, "minor", None, TODAY)
    assert delete_account(session, me.account_id) == 1  # the person's claim is not the account's
    subject_id = find_subject(session, keyring, PARENT).id
    assert session.get(PersonBinding, subject_id).identity_hash == me.identity
    twin = citizen(session, keyring, "sub-twin")
    assert find_my_opposition(session, keyring, twin, PARENT, PARENT_CLAIMS).other_identity


def test_logging_in_again_after_deletion_finds_the_opposition_by_filing_again(session, keyring):
    first_account = citizen(session, keyring, "sub-again")
    first = file_for_self(session, keyring, first_account, PARENT, PARENT_CLAIMS, None).version
    delete_account(session, first_account.account_id)
    again = citizen(session, keyring, "sub-again")
    assert again.identity == first_account.identity
    outcome = file_for_self(session, keyring, again, PARENT, PARENT_CLAIMS, None)
    assert outcome.as_person and outcome.version.id == first.id
    assert account_record(session, again, TODAY).view.person.history[0].id == first.id


def test_a_new_account_never_takes_over_a_deleted_accounts_claims(session, keyring):
    """Claims name their holder ``account:<id>``: an id must never be given again. (On SQLite an
    INTEGER PRIMARY KEY without AUTOINCREMENT reuses the highest id once its row is deleted.)"""
    parent = citizen(session, keyring, "sub-parent")
    claim_id = file_as_proxy(session, keyring, parent, CHILD, CHILD_BIRTHDATE, "minor", None, TODAY).claim_id
    delete_account(session, parent.account_id)
    stranger = citizen(session, keyring, "sub-stranger")
    assert citizen_view(session, stranger, TODAY).claims == []
    with pytest.raises(ClaimNotFound):
        own_claim(session, stranger, claim_id, TODAY)


def test_an_unknown_account_has_no_record_and_cannot_be_deleted(session, keyring):
    with pytest.raises(AccountNotFound):
        account_record(session, Citizen(999_999, b"\0" * 32), TODAY)
    with pytest.raises(AccountNotFound):
        delete_account(session, 999_999)
    with pytest.raises(ClaimNotFound):
        citizen_for(session, keyring, 999_999)
