"""Citizen accounts.

An account is only the pair (issuer, sub) the identity provider vouches for, with two
timestamps: no name, no birth data, no address, no IP. Names and birth data arrive with each
login, are used during the session (to check a number against the identity) and are never
written here. What an account filed is its claims (``registry.models.Claim``, held as
``account:<id>``); whether it proved to be a person is ``registry.persons``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Base, UTCDateTime, utcnow


class Account(Base):
    """Someone who logged in: known by their identity provider's (issuer, sub) only."""

    __tablename__ = "accounts"
    # Claims name their account (``account:<id>``): an id is never given again, even on SQLite.
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_accounts_issuer_subject"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"Account(id={self.id})"


def account_for_login(session: Session, issuer: str, subject: str) -> Account:
    """The account for this (issuer, sub), created at the first login; records the login time."""
    account = session.scalars(
        select(Account).where(Account.issuer == issuer, Account.subject == subject)
    ).one_or_none()
    if account is None:
        account = Account(issuer=issuer, subject=subject)
        session.add(account)
    account.last_login_at = utcnow()
    session.flush()
    return account


def account_reference(account_id: int) -> str:
    """How versions name the account that filed them (``filed_by``)."""
    return f"account:{account_id}"
