import pytest
from sqlalchemy import select

from registry.accounts import (
    AlreadyFiledForSelf,
    SelfAsProxy,
    account_for_login,
    account_links,
    file_for_account,
    receipt_for_account,
)
from registry.errors import NoActiveOpposition
from registry.identifiers import parse_identifier
from registry.models import OppositionVersion
from registry.oppositions import current_opposition, file_for_subject, withdraw_for_subject
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

PARENT = parse_identifier(make_nir(2, 90, 6, "75", "056", 78))
CHILD = parse_identifier(make_nir(1, 18, 3, "69", "123", 12))
OTHER = parse_identifier(make_nir(1, 78, 11, "99", "350", 45))


def test_an_account_is_found_again_by_issuer_and_sub(session):
    first = account_for_login(session, "https://fc.example", "sub-1")
    again = account_for_login(session, "https://fc.example", "sub-1")
    elsewhere = account_for_login(session, "https://other.example", "sub-1")
    assert first.id == again.id != elsewhere.id


def test_filing_twice_for_oneself_keeps_one_version_and_one_link(session, keyring):
    account = account_for_login(session, "iss", "sub")
    link, first = file_for_account(session, keyring, account.id, PARENT, None)
    again_link, again = file_for_account(session, keyring, account.id, PARENT, None)
    assert (again_link.id, again.id) == (link.id, first.id)
    assert len(account_links(session, account.id)) == 1
    assert first.filed_by == f"account:{account.id}" and first.actor == "self"


def test_a_proxy_filing_is_recorded_as_proxy_and_listed_after_the_holder(session, keyring):
    account = account_for_login(session, "iss", "sub")
    _, proxy_version = file_for_account(session, keyring, account.id, CHILD, [Purpose.AI], proxy_for="minor")
    file_for_account(session, keyring, account.id, PARENT, None)
    links = account_links(session, account.id)
    assert [link.relation for link in links] == ["self", "proxy"]
    assert (proxy_version.actor, proxy_version.proxy_for) == ("proxy", "minor")


def test_an_account_cannot_file_for_two_different_selves(session, keyring):
    account = account_for_login(session, "iss", "sub")
    file_for_account(session, keyring, account.id, PARENT, None)
    with pytest.raises(AlreadyFiledForSelf):
        file_for_account(session, keyring, account.id, OTHER, None)


def test_the_holders_own_number_is_refused_as_a_proxy_filing(session, keyring):
    account = account_for_login(session, "iss", "sub")
    file_for_account(session, keyring, account.id, PARENT, None)
    with pytest.raises(SelfAsProxy):
        file_for_account(session, keyring, account.id, PARENT, None, proxy_for="minor")


def test_change_withdraw_and_refile_by_subject_id(session, keyring):
    account = account_for_login(session, "iss", "sub")
    link, _ = file_for_account(session, keyring, account.id, PARENT, None)
    changed = file_for_subject(session, link.subject_id, [Purpose.RESEARCH])
    withdrawn = withdraw_for_subject(session, link.subject_id)
    with pytest.raises(NoActiveOpposition):
        withdraw_for_subject(session, link.subject_id)
    refiled = file_for_subject(session, link.subject_id, None)
    assert [changed.action, withdrawn.action, refiled.action] == ["changed", "withdrawn", "refiled"]
    assert current_opposition(session, keyring, PARENT).active


def test_a_receipt_is_only_found_by_the_account_that_filed(session, keyring):
    owner = account_for_login(session, "iss", "owner")
    stranger = account_for_login(session, "iss", "stranger")
    _, version = file_for_account(session, keyring, owner.id, PARENT, None)
    assert receipt_for_account(session, owner.id, version.receipt_reference).version.id == version.id
    assert receipt_for_account(session, stranger.id, version.receipt_reference) is None
    assert session.scalar(select(OppositionVersion.id).where(OppositionVersion.id == version.id)) is not None
