import pytest
from sqlalchemy import select

from registry.account_data import AccountNotFound, account_record, delete_account
from registry.accounts import Account, AccountSubject, account_for_login, file_for_account
from registry.audit import verify_chain
from registry.identifiers import parse_identifier
from registry.models import AuditEvent
from registry.oppositions import current_opposition, withdraw_for_subject, Filing
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

PARENT = parse_identifier(make_nir(2, 90, 6, "75", "056", 78))
CHILD = parse_identifier(make_nir(1, 18, 3, "69", "123", 12))


def no_applications(session, subject_id):
    return []


def test_the_record_holds_the_account_the_people_their_history_and_receipts(session, keyring):
    account = account_for_login(session, "https://fc.example", "sub-record")
    _, own = file_for_account(session, keyring, account.id, PARENT, [Purpose.AI])
    link, child = file_for_account(session, keyring, account.id, CHILD, None, proxy_for="minor")
    withdrawn = withdraw_for_subject(session, link.subject_id, Filing(actor="proxy", proxy_for="minor"))
    record = account_record(session, account.id, lambda s, subject_id: [("applied", subject_id)])
    assert record.account.subject == "sub-record"
    assert [p.link.relation for p in record.people] == ["self", "proxy"]
    self_person, child_person = record.people
    assert self_person.state.active and self_person.state.purposes == [Purpose.AI]
    assert [v.receipt_reference for v in self_person.history] == [own.receipt_reference]
    assert [v.receipt_reference for v in child_person.history] == [withdrawn.receipt_reference, child.receipt_reference]
    assert not child_person.state.active
    assert child_person.applications == [("applied", link.subject_id)]


def test_deleting_the_account_keeps_every_opposition(session, keyring):
    account = account_for_login(session, "https://fc.example", "sub-delete")
    file_for_account(session, keyring, account.id, PARENT, None)
    file_for_account(session, keyring, account.id, CHILD, None, proxy_for="minor")
    assert delete_account(session, account.id) == 2
    assert session.get(Account, account.id) is None
    assert session.scalars(select(AccountSubject).where(AccountSubject.account_id == account.id)).all() == []
    assert current_opposition(session, keyring, PARENT).active
    assert current_opposition(session, keyring, CHILD).active
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.deleted")).one()
    assert event.target == f"account:{account.id}"
    assert verify_chain(session).ok


def test_logging_in_again_after_deletion_finds_the_opposition_by_filing_again(session, keyring):
    account = account_for_login(session, "https://fc.example", "sub-again")
    _, first = file_for_account(session, keyring, account.id, PARENT, None)
    delete_account(session, account.id)
    again = account_for_login(session, "https://fc.example", "sub-again")
    link, version = file_for_account(session, keyring, again.id, PARENT, None)
    assert version.id == first.id and link.relation == "self"


def test_an_unknown_account_has_no_record_and_cannot_be_deleted(session):
    with pytest.raises(AccountNotFound):
        account_record(session, 999_999, no_applications)
    with pytest.raises(AccountNotFound):
        delete_account(session, 999_999)
