"""Everything the registry holds about an account and the people it filed for, and deleting
the account without deleting their oppositions.

The record is what GDPR articles 15 and 20 call for: the account (issuer, sub, dates), and what
``registry.visibility`` lets it see: everything about the person it proved to be (the opposition
in force, every version, where warehouses applied it), and its own claims on others with their
versions only. It never holds a raw identifier: the registry has none.

Deleting an account removes the account only. Its claims stay: they protect the people
concerned (a child, a protected adult, the holder themself) whatever becomes of a login, and a
warehouse must keep finding them; they keep naming the account (``account:<id>``), a reference
that no longer leads to anyone. The binding of a proved person stays too (a keyed hash of the
identity, not the account), so that nobody else can become that person online afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts import Account, account_reference
from registry.audit import record_event
from registry.models import Claim, utcnow
from registry.ownership import Citizen
from registry.visibility import CitizenView, citizen_view


@dataclass(frozen=True)
class AccountRecord:
    account: Account
    view: CitizenView
    generated_at: dt.datetime


class AccountNotFound(LookupError):
    code = "account_not_found"


def account_record(session: Session, citizen: Citizen, today: dt.date) -> AccountRecord:
    """What the registry holds about this account and what it may see."""
    account = session.get(Account, citizen.account_id)
    if account is None:
        raise AccountNotFound(citizen.account_id)
    return AccountRecord(account, citizen_view(session, citizen, today), utcnow())


def delete_account(session: Session, account_id: int) -> int:
    """Delete the account; keep every claim it holds. Returns how many claims it held. Audited,
    naming the account by its internal reference only."""
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(account_id)
    held = session.scalar(select(func.count()).select_from(Claim).where(Claim.holder == account_reference(account_id)))
    session.delete(account)
    record_event(session, action="account.deleted", actor=account_reference(account_id),
                 target=account_reference(account_id), details={"claims": held})
    session.flush()
    return held
