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
from sqlalchemy import BigInteger, Integer, String, func, select
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


def check_password(
    session: Session, email: str, password: str, *, policy: LockoutPolicy = LockoutPolicy(), now: dt.datetime | None = None
) -> StaffAccount:
    """First factor. Returns the account when the password is right; the caller then asks for
    the TOTP code. Raises ``LoginRefused`` otherwise; a wrong password counts as a failure."""
    now = now or utcnow()
    account = find_account(session, email)
    if account is None or account.disabled_at is not None:
        _verify(_dummy_hash, password)
        raise LoginRefused("invalid_credentials")
    _refuse_if_blocked(account, policy, now)
    if not _verify(account.password_hash, password):
        _fail(session, account, "password", policy, now)
        raise LoginRefused("locked" if account.locked_at else "invalid_credentials")
    if _password_hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _password_hasher.hash(password)
    return account


def check_totp(
    session: Session, account: StaffAccount, code: str, *, policy: LockoutPolicy = LockoutPolicy(), now: dt.datetime | None = None
) -> StaffAccount:
    """Second factor: the code of the current 30-second step (or the one either side, for clock
    drift), never one already used. Success resets the failures and, the first time, completes
    the enrolment."""
    now = now or utcnow()
    _refuse_if_blocked(account, policy, now)
    step = _matching_step(account.totp_secret, code, now)
    if step is None or (account.last_totp_step is not None and step <= account.last_totp_step):
        _fail(session, account, "totp", policy, now)
        raise LoginRefused("locked" if account.locked_at else "invalid_code")
    account.last_totp_step = step
    account.failed_attempts = 0
    account.last_failure_at = None
    account.last_login_at = now
    if account.totp_enrolled_at is None:
        account.totp_enrolled_at = now
        record_event(session, action="staff.totp_enrolled", actor=account.reference, target=account.reference)
    session.flush()
    record_event(session, action="staff.login", actor=account.reference, target=account.reference)
    return account


def totp_uri(account: StaffAccount, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(account.totp_secret, interval=TOTP_INTERVAL).provisioning_uri(name=account.email, issuer_name=issuer)


def unlock_account(session: Session, email: str, *, actor: str) -> StaffAccount:
    """Clear the failures and the lock (an administrator's decision, audited)."""
    account = find_account(session, email)
    if account is None:
        raise AccountNotFound()
    account.failed_attempts = 0
    account.last_failure_at = None
    account.locked_at = None
    session.flush()
    record_event(session, action="staff.unlocked", actor=actor, target=account.reference)
    return account


def reset_totp(session: Session, email: str, *, actor: str) -> StaffAccount:
    """A new TOTP secret (lost phone): the next sign-in shows the enrolment QR code again."""
    account = find_account(session, email)
    if account is None:
        raise AccountNotFound()
    account.totp_secret = pyotp.random_base32()
    account.totp_enrolled_at = None
    account.last_totp_step = None
    session.flush()
    record_event(session, action="staff.totp_reset", actor=actor, target=account.reference)
    return account


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


def _refuse_if_blocked(account: StaffAccount, policy: LockoutPolicy, now: dt.datetime) -> None:
    if account.locked_at is not None:
        raise LoginRefused("locked")
    delay = policy.delay_after(account.failed_attempts)
    if delay and account.last_failure_at is not None:
        ready_at = account.last_failure_at + dt.timedelta(seconds=delay)
        if now < ready_at:
            raise LoginRefused("wait", retry_after=max(1, int((ready_at - now).total_seconds() + 0.999)))


def _fail(session: Session, account: StaffAccount, step: str, policy: LockoutPolicy, now: dt.datetime) -> None:
    account.failed_attempts += 1
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
