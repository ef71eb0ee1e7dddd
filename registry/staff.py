"""Staff accounts: argon2id passwords, TOTP second factor, growing delays then a lock.

Counter and phone agents file oppositions for people without digital access, so a staff account
can change the registry on anyone's behalf: it needs two factors, and repeated failures must
slow an attacker down and then stop them. Failures of either factor count on one counter per
account; from ``free_attempts`` failures on, each new attempt must wait a delay that doubles
with every failure, and at ``lock_after`` failures the account locks until an administrator
unlocks it. Delays are enforced by refusing early attempts (never by sleeping), with ``now``
passed in so that tests can state the rules without waiting.

Every outcome is appended to the audit chain with the account as ``staff:<id>``. The email is
staff account data and is stored; nothing about the people staff serve is.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import BigInteger, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event
from registry.errors import RegistryError
from registry.models import Base, UTCDateTime, utcnow

ROLES = ("agent", "campaign_manager", "registry_admin")
MIN_PASSWORD_LENGTH = 12
TOTP_INTERVAL = 30
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_password_hasher = PasswordHasher()  # argon2id, the library's recommended costs
# Verified when the email is unknown, so that a wrong email costs as long as a wrong password.
_dummy_hash = _password_hasher.hash(secrets.token_urlsafe(16))


def use_password_parameters(parameters) -> None:
    """Hash staff passwords with other argon2id costs (an ``argon2.Parameters``). The test suite
    uses ``argon2.profiles.CHEAPEST`` so that hundreds of sign-ins take seconds, not minutes."""
    global _password_hasher, _dummy_hash
    _password_hasher = PasswordHasher.from_parameters(parameters)
    _dummy_hash = _password_hasher.hash(secrets.token_urlsafe(16))


class StaffAccount(Base):
    """A staff member who signs in to the back-office; ``role`` decides what they may do."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_totp_step: Mapped[int | None] = mapped_column(BigInteger)  # refuses a replayed code
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the next sign-in attempt may be checked (set when an attempt is reserved).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Raised when every session of the account must end (password or TOTP reset, unlock, disable).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def reference(self) -> str:
        """How the audit chain and opposition versions name this account."""
        return f"staff:{self.id}"

    @property
    def enrolled(self) -> bool:
        return self.totp_enrolled_at is not None

    def __repr__(self) -> str:
        return f"StaffAccount(id={self.id}, role={self.role!r})"


class StaffError(RegistryError):
    code = "staff_error"
    message = "The staff account could not be changed."


class InvalidEmail(StaffError):
    code = "invalid_email"
    message = "The email address is not valid."


class UnknownRole(StaffError):
    code = "unknown_role"
    message = "The role is not one of agent, campaign_manager, registry_admin."


class WeakPassword(StaffError):
    code = "weak_password"
    message = f"A staff password has at least {MIN_PASSWORD_LENGTH} characters."


class AccountExists(StaffError):
    code = "account_exists"
    message = "A staff account already has this email address."


class AccountNotFound(StaffError):
    code = "account_not_found"
    message = "No staff account has this email address."


class LoginRefused(StaffError):
    """A sign-in step failed; ``code`` is one of ``invalid_credentials``, ``invalid_code``,
    ``locked`` or ``wait`` (then ``retry_after`` is the number of seconds to wait)."""

    code = "login_refused"
    message = "The sign-in was refused."

    def __init__(self, code: str, retry_after: int = 0) -> None:
        super().__init__(f"sign-in refused: {code}")
        self.code = code
        self.retry_after = retry_after


@dataclass(frozen=True)
class LockoutPolicy:
    """How failures slow down and then stop sign-in. ``base_delay`` 0 turns the delays off."""

    free_attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 300.0
    lock_after: int = 10
    lock_duration: float = 3600.0  # a lock ends by itself after this many seconds (or by an unlock)

    def delay_after(self, failures: int) -> float:
        """Seconds an attempt must wait after ``failures`` consecutive failures."""
        if failures < self.free_attempts or self.base_delay <= 0:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.free_attempts), self.max_delay)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_staff_account(session: Session, email: str, role: str, password: str, *, actor: str) -> StaffAccount:
    """Create an account with its TOTP secret; the QR enrolment happens at the first sign-in."""
    email = normalise_email(email)
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise InvalidEmail()
    if role not in ROLES:
        raise UnknownRole()
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    if find_account(session, email) is not None:
        raise AccountExists()
    account = StaffAccount(
        email=email,
        role=role,
        password_hash=_password_hasher.hash(password),
        totp_secret=pyotp.random_base32(),
        failed_attempts=0,
    )
    session.add(account)
    session.flush()
    record_event(session, action="staff.created", actor=actor, target=account.reference, details={"role": role})
    return account


def find_account(session: Session, email: str) -> StaffAccount | None:
    return session.scalars(select(StaffAccount).where(StaffAccount.email == normalise_email(email))).one_or_none()


def get_account(session: Session, account_id: int) -> StaffAccount | None:
    """The account behind a session, or None when it no longer exists or was disabled."""
    account = session.get(StaffAccount, account_id)
    return None if account is None or account.disabled_at is not None else account


def reserve_password_attempt(
    session: Session, email: str, *, policy: LockoutPolicy = LockoutPolicy(), now: dt.datetime | None = None
) -> StaffAccount | None:
    """First factor, step one: count an attempt on the account before its password is checked
    (``reserve_attempt``). Returns the account, or None when no active account has this email;
    raises ``LoginRefused`` (``locked`` or ``wait``) when no attempt may be checked now. The
    caller commits this before the (slow) password check, so that parallel attempts see it."""
    account = find_account(session, email)
    if account is None or account.disabled_at is not None:
        return None
    reserve_attempt(session, account, policy, now or utcnow())
    return account


def password_matches(account: StaffAccount | None, password: str) -> bool:
    """The argon2 check, against a dummy hash when there is no account: a refused or unknown
    email costs the same time as a wrong password."""
    return _verify(account.password_hash if account is not None else _dummy_hash, password)


def settle_password_attempt(
    session: Session, account: StaffAccount | None, password: str, matches: bool, *,
    policy: LockoutPolicy = LockoutPolicy(), now: dt.datetime | None = None,
) -> StaffAccount:
    """First factor, step two: record the outcome of a reserved attempt. Returns the account
    when the password was right (the caller then asks for the TOTP code); raises
    ``LoginRefused("invalid_credentials")`` otherwise, whatever the reason, so that a known
    account and an unknown email get the same answer."""
    if account is None:
        raise LoginRefused("invalid_credentials")
    if not matches:
        _fail(session, account, "password", policy, now or utcnow())
        raise LoginRefused("invalid_credentials")
    _refund(session, account, policy)
    if _password_hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _password_hasher.hash(password)
    session.flush()
    return account


def check_password(
    session: Session, email: str, password: str, *, policy: LockoutPolicy = LockoutPolicy(), now: dt.datetime | None = None
) -> StaffAccount:
    """First factor in one transaction (the three steps above): returns the account when the
    password is right; raises ``LoginRefused`` otherwise. ``locked`` and ``wait`` are raised
    only after a dummy check, so that they take as long as any other refusal; the sign-in page
    words every first-factor refusal alike."""
    now = now or utcnow()
    try:
        account = reserve_password_attempt(session, email, policy=policy, now=now)
    except LoginRefused:
        password_matches(None, password)
        raise
    return settle_password_attempt(session, account, password, password_matches(account, password),
                                   policy=policy, now=now)


def check_totp(
    session: Session, account: StaffAccount, code: str, *, policy: LockoutPolicy = LockoutPolicy(), now: dt.datetime | None = None
) -> StaffAccount:
    """Second factor: the code of the current 30-second step (or the one either side, for clock
    drift), never one already used. The attempt is reserved first, as for the password. Success
    resets the failures and, the first time, completes the enrolment."""
    now = now or utcnow()
    reserve_attempt(session, account, policy, now)
    step = _matching_step(account.totp_secret, code, now)
    if step is None or (account.last_totp_step is not None and step <= account.last_totp_step):
        _fail(session, account, "totp", policy, now)
        raise LoginRefused("locked" if account.locked_at else "invalid_code")
    account.last_totp_step = step
    account.failed_attempts = 0
    account.last_failure_at = None
    account.next_attempt_at = None
    account.last_login_at = now
    if account.totp_enrolled_at is None:
        account.totp_enrolled_at = now
        record_event(session, action="staff.totp_enrolled", actor=account.reference, target=account.reference)
    session.flush()
    record_event(session, action="staff.login", actor=account.reference, target=account.reference)
    return account


def reserve_attempt(session: Session, account: StaffAccount, policy: LockoutPolicy, now: dt.datetime) -> None:
    """Count one attempt (password or code) before it is checked, in a single compare-and-set
    ``UPDATE``: it applies only if the counter is still the one read, so of many parallel
    attempts one goes on and the others are refused unchecked (on PostgreSQL the losers wait
    for the winner's commit and then match no row; on SQLite writers take turns). The count
    stands as a failure unless the attempt succeeds. Raises ``LoginRefused``: ``locked`` while a
    lock lasts (``policy.lock_duration``), ``wait`` until the delay after the last failures is
    over or when a parallel attempt won."""
    row = session.execute(
        select(StaffAccount.failed_attempts, StaffAccount.locked_at, StaffAccount.next_attempt_at)
        .where(StaffAccount.id == account.id)
    ).one()
    failures = row.failed_attempts
    condition = [StaffAccount.id == account.id, StaffAccount.failed_attempts == failures]
    values: dict = {}
    if row.locked_at is not None:
        unlocks_at = row.locked_at + dt.timedelta(seconds=policy.lock_duration)
        if now < unlocks_at:
            raise LoginRefused("locked", retry_after=_seconds_until(unlocks_at, now))
        condition.append(StaffAccount.locked_at == row.locked_at)
        values["locked_at"] = None
        failures = 0
        record_event(session, action="staff.lock_expired", actor="system", target=account.reference)
    else:
        condition.append(StaffAccount.locked_at.is_(None))
        if row.next_attempt_at is not None and now < row.next_attempt_at:
            raise LoginRefused("wait", retry_after=_seconds_until(row.next_attempt_at, now))
    values["failed_attempts"] = failures + 1
    delay = policy.delay_after(failures + 1)
    values["next_attempt_at"] = now + dt.timedelta(seconds=delay) if delay else None
    reserved = session.execute(
        update(StaffAccount).where(*condition).values(**values).execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:
        raise LoginRefused("wait", retry_after=1)
    session.refresh(account)


def totp_uri(account: StaffAccount, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(account.totp_secret, interval=TOTP_INTERVAL).provisioning_uri(name=account.email, issuer_name=issuer)


def unlock_account(session: Session, email: str, *, actor: str) -> StaffAccount:
    """Clear the failures and the lock (an administrator's decision, audited); every session of
    the account ends."""
    account = _existing(session, email)
    account.failed_attempts = 0
    account.last_failure_at = None
    account.next_attempt_at = None
    account.locked_at = None
    _end_sessions(account)
    session.flush()
    record_event(session, action="staff.unlocked", actor=actor, target=account.reference)
    return account


def reset_totp(session: Session, email: str, *, actor: str) -> StaffAccount:
    """A new TOTP secret (lost phone): the next sign-in shows the enrolment QR code again; every
    session of the account ends."""
    account = _existing(session, email)
    account.totp_secret = pyotp.random_base32()
    account.totp_enrolled_at = None
    account.last_totp_step = None
    _end_sessions(account)
    session.flush()
    record_event(session, action="staff.totp_reset", actor=actor, target=account.reference)
    return account


def reset_password(session: Session, email: str, password: str, *, actor: str) -> StaffAccount:
    """A new password (forgotten or exposed); every session of the account ends."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    account = _existing(session, email)
    account.password_hash = _password_hasher.hash(password)
    _end_sessions(account)
    session.flush()
    record_event(session, action="staff.password_reset", actor=actor, target=account.reference)
    return account


def disable_account(session: Session, email: str, *, actor: str) -> StaffAccount:
    """Close the account for good (someone who left): it can no longer sign in, and every
    session of it ends. Its audit history stays."""
    account = _existing(session, email)
    if account.disabled_at is None:
        account.disabled_at = utcnow()
        _end_sessions(account)
        session.flush()
        record_event(session, action="staff.disabled", actor=actor, target=account.reference)
    return account


def _existing(session: Session, email: str) -> StaffAccount:
    account = find_account(session, email)
    if account is None:
        raise AccountNotFound()
    return account


def _end_sessions(account: StaffAccount) -> None:
    """Every session signed in before now holds an older generation and is refused from now on."""
    account.session_generation = (account.session_generation or 0) + 1


def record_logout(session: Session, account: StaffAccount, reason: str) -> None:
    """Audit the end of a staff session: ``logout`` or ``timeout``."""
    record_event(session, action=f"staff.{reason}", actor=account.reference, target=account.reference)


def count_accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffAccount)) or 0


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    code = (code or "").replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    current = int(now.timestamp()) // TOTP_INTERVAL
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * TOTP_INTERVAL), code):
            return step
    return None


def _refund(session: Session, account: StaffAccount, policy: LockoutPolicy) -> None:
    """A right password gives its reserved attempt back (the code step decides the rest): the
    counter and the next attempt's time are what the failures alone make them."""
    session.execute(update(StaffAccount).where(StaffAccount.id == account.id, StaffAccount.failed_attempts > 0)
                    .values(failed_attempts=StaffAccount.failed_attempts - 1)
                    .execution_options(synchronize_session=False))
    session.refresh(account)
    delay = policy.delay_after(account.failed_attempts)
    account.next_attempt_at = (account.last_failure_at + dt.timedelta(seconds=delay)
                               if delay and account.last_failure_at is not None else None)


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def _fail(session: Session, account: StaffAccount, step: str, policy: LockoutPolicy, now: dt.datetime) -> None:
    """A reserved attempt failed: it already counts (``reserve_attempt``); audit it, and lock
    the account when the failures reach ``policy.lock_after``."""
    account.last_failure_at = now
    record_event(
        session,
        action="staff.login_failed",
        actor=account.reference,
        target=account.reference,
        details={"step": step, "failures": account.failed_attempts},
    )
    if account.failed_attempts >= policy.lock_after:
        account.locked_at = now
        record_event(session, action="staff.locked", actor="system", target=account.reference,
                     details={"failures": account.failed_attempts})
    session.flush()
