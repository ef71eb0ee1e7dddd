"""Everything the registry holds about an account and the people it filed for, and deleting
the account without deleting their oppositions.

The record is what GDPR articles 15 and 20 call for: the account (issuer, sub, dates), and for
each person the account filed for, the opposition in force, every version with its receipt
reference, and where warehouses applied it. It never holds a raw identifier: the registry has
none. Which warehouses applied an opposition is read through ``applications_of`` so that the
caller chooses where transparency records come from.

Deleting an account removes the account and its links to people. The oppositions stay: they
protect the people concerned (a child, a protected adult, the holder themself) whatever becomes
of a login, and a warehouse must keep finding them. Their versions keep naming the account that
filed them (``account:<id>``), a reference that no longer leads to anyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.accounts import Account, AccountSubject, account_links, account_reference
from registry.audit import record_event
from registry.models import OppositionVersion, utcnow
from registry.oppositions import OppositionState, subject_state


@dataclass(frozen=True)
class PersonRecord:
    """One person the account filed for: the link, the state in force, the history (newest
    first) and where the opposition was applied (in the shape ``applications_of`` returns)."""

    link: AccountSubject
    state: OppositionState
    history: list[OppositionVersion]
    applications: Sequence = field(default_factory=list)


@dataclass(frozen=True)
class AccountRecord:
    account: Account
    people: list[PersonRecord]
    generated_at: dt.datetime


class AccountNotFound(LookupError):
    code = "account_not_found"


def account_record(session: Session, account_id: int, applications_of: Callable[[Session, int], Sequence]) -> AccountRecord:
    """What the registry holds about this account and the people it filed for."""
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(account_id)
    people = []
    for link in account_links(session, account_id):
        history = list(session.scalars(
            select(OppositionVersion).where(OppositionVersion.subject_id == link.subject_id)
            .order_by(OppositionVersion.version.desc())
        ))
        people.append(PersonRecord(link, subject_state(session, link.subject), history,
                                   list(applications_of(session, link.subject_id))))
    return AccountRecord(account, people, utcnow())


def delete_account(session: Session, account_id: int) -> int:
    """Delete the account and its links; keep every opposition. Returns how many people the
    account had filed for. Audited, naming the account by its internal reference only."""
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(account_id)
    links = session.execute(delete(AccountSubject).where(AccountSubject.account_id == account_id)).rowcount or 0
    session.delete(account)
    record_event(session, action="account.deleted", actor=account_reference(account_id),
                 target=account_reference(account_id), details={"links": links})
    session.flush()
    return links
