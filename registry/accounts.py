"""Citizen accounts and the oppositions they filed.

An account is only the pair (issuer, sub) the identity provider vouches for, with two
timestamps: no name, no birth data, no address, no IP. Names and birth data arrive with each
login, are used during the session (to check a number against the identity) and are never
written here. ``AccountSubject`` links an account to the subjects it filed for, either as
the person themself or as a proxy for a minor or a protected adult, so that "my space" can
show them without ever keeping a raw identifier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from registry.errors import InvalidChoice, RegistryError
from registry.identifiers import Identifier
from registry.keyring import Keyring
from registry.models import Base, OppositionVersion, Subject, UTCDateTime, utcnow
from registry.oppositions import PROXY_KINDS, Filing, file_opposition, find_subject
from registry.purposes import Purpose

RELATIONS = ("self", "proxy")


class Account(Base):
    """Someone who logged in: known by their identity provider's (issuer, sub) only."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_accounts_issuer_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"Account(id={self.id})"


class AccountSubject(Base):
    """An account filed for this subject: for the person themself, or as a proxy."""

    __tablename__ = "account_subjects"
    __table_args__ = (UniqueConstraint("account_id", "subject_id", name="uq_account_subjects_account_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))  # self, proxy
    proxy_for: Mapped[str | None] = mapped_column(String(24))  # minor, protected_adult
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    subject: Mapped[Subject] = relationship()


class AlreadyFiledForSelf(RegistryError):
    code = "already_filed_for_self"
    message = "This account already filed for another person as themself."


class SelfAsProxy(RegistryError):
    code = "self_as_proxy"
    message = "This number is the account holder's own: file for yourself instead."


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


def file_for_account(
    session: Session,
    keyring: Keyring,
    account_id: int,
    identifier: Identifier,
    purposes: Iterable[Purpose] | None,
    *,
    proxy_for: str | None = None,
) -> tuple[AccountSubject, OppositionVersion]:
    """File online for the account holder (``proxy_for`` None) or as their proxy, and link the
    subject to the account. Filing the same thing again returns the version in force."""
    relation = "self" if proxy_for is None else "proxy"
    if proxy_for is not None and proxy_for not in PROXY_KINDS:
        raise InvalidChoice()
    existing = find_subject(session, keyring, identifier)
    links = {link.subject_id: link for link in account_links(session, account_id)}
    own = next((link for link in links.values() if link.relation == "self"), None)
    if relation == "self" and own is not None and (existing is None or own.subject_id != existing.id):
        raise AlreadyFiledForSelf()
    if relation == "proxy" and own is not None and existing is not None and own.subject_id == existing.id:
        raise SelfAsProxy()
    filing = Filing(channel="online", actor=relation, proxy_for=proxy_for, filed_by=account_reference(account_id))
    version = file_opposition(session, keyring, identifier, purposes, filing)
    link = links.get(version.subject_id)
    if link is None:
        link = AccountSubject(account_id=account_id, subject_id=version.subject_id, relation=relation, proxy_for=proxy_for)
        session.add(link)
        session.flush()
    return link, version


def account_reference(account_id: int) -> str:
    """How versions name the account that filed them (``filed_by``)."""
    return f"account:{account_id}"


def account_links(session: Session, account_id: int) -> list[AccountSubject]:
    """The subjects this account filed for: themself first, then proxies in filing order."""
    links = session.scalars(
        select(AccountSubject).where(AccountSubject.account_id == account_id).order_by(AccountSubject.id)
    ).all()
    return sorted(links, key=lambda link: link.relation != "self")


def account_link(session: Session, account_id: int, link_id: int) -> AccountSubject | None:
    """One link of this account, or None (also when it belongs to another account)."""
    return session.scalars(
        select(AccountSubject).where(AccountSubject.id == link_id, AccountSubject.account_id == account_id)
    ).one_or_none()


@dataclass(frozen=True)
class Receipt:
    """What a receipt shows: the version, and whom it was filed for."""

    version: OppositionVersion
    link: AccountSubject


def receipt_for_account(session: Session, account_id: int, reference: str) -> Receipt | None:
    """The version with this receipt reference, when it concerns a subject of this account."""
    row = session.execute(
        select(OppositionVersion, AccountSubject)
        .join(AccountSubject, AccountSubject.subject_id == OppositionVersion.subject_id)
        .where(OppositionVersion.receipt_reference == reference, AccountSubject.account_id == account_id)
    ).first()
    return None if row is None else Receipt(*row)
