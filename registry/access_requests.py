"""Warehouses asking for API access, and the one-time link that gives them their credentials.

A warehouse fills in a public form (organisation, SIRET, contact address, purposes, expected
cohort size, data protection officer's address). A registry administrator approves it, with the
scopes and the cohort size granted, or refuses it with a reason. An approval issues a link that
works once and expires (``link_lifetime``): only the SHA-256 of its token is kept. Opening it and
confirming creates the warehouse client (``registry.warehouses.create_warehouse``: the secret is
shown that once, only its argon2id hash is kept) and declares the cohort size for the private
mode when that scope is granted.

The two addresses are personal data: they are sealed with AES-GCM under the contact key, as the
contact form's reply addresses are (``registry.contact.AddressSealer``), and opened only to send
the answer or for an administrator reviewing the request. A request is kept for ``retention``
after it was made, then purged; one nobody has decided on is kept until someone does. Every
step is in the audit chain, naming the request by its reference, never an address or a name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Integer, LargeBinary, String, Text, case, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event
from registry.contact import AddressSealer
from registry.errors import RegistryError
from registry.models import Base, UTCDateTime, utcnow
from registry.private_quota import declare_cohort
from registry.purposes import Purpose
from registry.warehouses import Credentials, _check_scope, create_warehouse, get_warehouse

PENDING, APPROVED, REFUSED, CLAIMED = "pending", "approved", "refused", "claimed"
MAX_COHORT_SIZE = 100_000_000
MAX_REASON_LENGTH = 2000
PURPOSE_CODES = tuple(p.code for p in Purpose)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AccessRequest(Base):
    """One request for API access, from its submission to its purge."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14))
    contact_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    dpo_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(40))
    purposes: Mapped[str] = mapped_column(String(200))  # purpose codes, space-separated
    cohort_size: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    granted_scope: Mapped[str | None] = mapped_column(String(100))
    granted_cohort_size: Mapped[int | None] = mapped_column(Integer)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    link_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    link_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    client_id: Mapped[str | None] = mapped_column(String(48))

    @property
    def purpose_codes(self) -> list[str]:
        return self.purposes.split()

    @property
    def audit_target(self) -> str:
        return f"access_request:{self.reference}"

    def __repr__(self) -> str:
        return f"AccessRequest(reference={self.reference!r}, status={self.status!r})"


class AccessRequestError(RegistryError):
    code = "access_request_error"
    field: str | None = None


class InvalidRequest(AccessRequestError):
    code = "access_request_invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class RequestNotFound(AccessRequestError):
    code = "access_request_not_found"
    message = "No access request has this number."


class AlreadyDecided(AccessRequestError):
    code = "access_request_decided"
    message = "This access request has already been decided."


class LinkUnusable(AccessRequestError):
    """The link is unknown, was used already, or expired: it shows nothing."""

    code = "access_link_unusable"
    message = "This link is unknown, used or expired."


def siret_valid(value: str) -> bool:
    """A SIRET: 14 digits passing the Luhn check; La Poste's establishments (SIREN 356000000)
    follow their own rule instead, the sum of the digits being a multiple of 5."""
    if not (len(value) == 14 and value.isdigit()):
        return False
    if value.startswith("356000000"):
        return sum(map(int, value)) % 5 == 0
    total = 0
    for position, digit in enumerate(reversed(value)):
        number = int(digit) * (2 if position % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def normalise_siret(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def email_valid(value: str) -> bool:
    return bool(_EMAIL.match(value or "")) and len(value) <= 254


@dataclass(frozen=True)
class NewAccessRequest:
    """What the form hands over."""

    organisation: str
    siret: str
    contact_email: str
    purposes: tuple[str, ...]
    cohort_size: int
    dpo_email: str
    language: str = "fr"


def _check(new: NewAccessRequest) -> NewAccessRequest:
    organisation = " ".join((new.organisation or "").split())
    if not 1 <= len(organisation) <= 200:
        raise InvalidRequest("organisation", "The organisation's name has 1 to 200 characters.")
    siret = normalise_siret(new.siret)
    if not siret_valid(siret):
        raise InvalidRequest("siret", "The SIRET number is not valid.")
    for name in ("contact_email", "dpo_email"):
        if not email_valid(getattr(new, name)):
            raise InvalidRequest(name, "The address is not a valid e-mail address.")
    purposes = tuple(code for code in PURPOSE_CODES if code in set(new.purposes))
    if not purposes or len(purposes) != len(set(new.purposes)):
        raise InvalidRequest("purposes", "Choose at least one of the registry's purposes.")
    if not (isinstance(new.cohort_size, int) and 1 <= new.cohort_size <= MAX_COHORT_SIZE):
        raise InvalidRequest("cohort_size", "The cohort size is a whole number from 1 to 100,000,000.")
    return NewAccessRequest(organisation, siret, new.contact_email.strip(), purposes, new.cohort_size,
                            new.dpo_email.strip(), new.language if new.language in ("fr", "en") else "fr")


def _reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "DA-" + "".join(secrets.choice(alphabet) for _ in range(10))


def submit_request(session: Session, new: NewAccessRequest, *, sealer: AddressSealer, retention: dt.timedelta,
                   now: dt.datetime | None = None) -> AccessRequest:
    """Keep a new request, its addresses sealed; requests past their retention go first."""
    new = _check(new)
    now = now or utcnow()
    purge_expired_requests(session, now)
    contact, key_id = sealer.seal(new.contact_email)
    dpo, _ = sealer.seal(new.dpo_email)
    request = AccessRequest(
        reference=_reference(), organisation=new.organisation, siret=new.siret, contact_sealed=contact,
        dpo_sealed=dpo, key_id=key_id, purposes=" ".join(new.purposes), cohort_size=new.cohort_size,
        language=new.language, submitted_at=now, expires_at=now + retention, status=PENDING,
    )
    session.add(request)
    session.flush()
    record_event(session, action="access_request.submitted", actor="public", target=request.audit_target,
                 details={"purposes": list(new.purposes), "cohort_size": new.cohort_size})
    return request


def requests_for_review(session: Session) -> list[AccessRequest]:
    """Pending requests first, oldest first; then the others, most recently decided first."""
    pending_first = case((AccessRequest.status == PENDING, 0), else_=1)
    return list(session.scalars(select(AccessRequest).order_by(
        pending_first, AccessRequest.decided_at.desc(), AccessRequest.submitted_at, AccessRequest.id)))


def get_request(session: Session, request_id: int) -> AccessRequest:
    request = session.get(AccessRequest, request_id)
    if request is None:
        raise RequestNotFound()
    return request


@dataclass(frozen=True)
class Addresses:
    contact: str
    dpo: str


def open_addresses(request: AccessRequest, sealer: AddressSealer) -> Addresses:
    """The two addresses, opened to write to the requester or for a reviewing administrator."""
    return Addresses(sealer.open(request.contact_sealed, request.key_id), sealer.open(request.dpo_sealed, request.key_id))


def read_request(session: Session, request_id: int, *, actor: str) -> AccessRequest:
    """The request, for an administrator who opens it: audited (which request, by whom)."""
    request = get_request(session, request_id)
    record_event(session, action="access_request.read", actor=actor, target=request.audit_target)
    return request


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def issue_link(session: Session, request: AccessRequest, *, lifetime: dt.timedelta, actor: str,
               now: dt.datetime | None = None) -> str:
    """A new single-use token for an approved request not yet claimed (the previous one stops
    working): returned once, to be mailed; only its hash is kept."""
    if request.status != APPROVED:
        raise AlreadyDecided()
    token = secrets.token_urlsafe(32)
    request.link_hash = _token_hash(token)
    request.link_expires_at = (now or utcnow()) + lifetime
    session.flush()
    record_event(session, action="access_request.link_issued", actor=actor, target=request.audit_target,
                 details={"expires_at": request.link_expires_at.isoformat()})
    return token


def approve_request(session: Session, request_id: int, *, scope: str, cohort_size: int, actor: str,
                    lifetime: dt.timedelta, now: dt.datetime | None = None) -> tuple[AccessRequest, str]:
    """Approve a pending request with the scopes and cohort size granted; returns the request
    and the link's token (to be mailed after the commit)."""
    request = get_request(session, request_id)
    if request.status != PENDING:
        raise AlreadyDecided()
    try:
        scope = _check_scope(scope)
    except RegistryError:
        raise InvalidRequest("scope", "Choose at least one of the API's scopes.") from None
    if not (isinstance(cohort_size, int) and 1 <= cohort_size <= MAX_COHORT_SIZE):
        raise InvalidRequest("cohort_size", "The cohort size is a whole number from 1 to 100,000,000.")
    request.status, request.decided_at, request.decided_by = APPROVED, now or utcnow(), actor
    request.granted_scope, request.granted_cohort_size = scope, cohort_size
    session.flush()
    record_event(session, action="access_request.approved", actor=actor, target=request.audit_target,
                 details={"scope": scope, "cohort_size": cohort_size})
    return request, issue_link(session, request, lifetime=lifetime, actor=actor, now=now)


def refuse_request(session: Session, request_id: int, *, reason: str, actor: str,
                   now: dt.datetime | None = None) -> AccessRequest:
    """Refuse a pending request; the reason goes to the requester (not to the audit trail)."""
    request = get_request(session, request_id)
    if request.status != PENDING:
        raise AlreadyDecided()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("reason", "Give the reason of the refusal.")
    request.status, request.decided_at, request.decided_by = REFUSED, now or utcnow(), actor
    request.refusal_reason = reason[:MAX_REASON_LENGTH]
    session.flush()
    record_event(session, action="access_request.refused", actor=actor, target=request.audit_target)
    return request


def record_mail(session: Session, request: AccessRequest, *, kind: str, actor: str, failure: str | None = None) -> None:
    """What came of sending the requester a mail (``kind``: approved, refused): sent or the
    failure's code. Audited without the address or the text."""
    details = {"kind": kind} if failure is None else {"kind": kind, "failure": failure[:40]}
    record_event(session, action="access_request.mail_sent" if failure is None else "access_request.mail_failed",
                 actor=actor, target=request.audit_target, details=details)


def request_for_link(session: Session, token: str, *, now: dt.datetime | None = None) -> AccessRequest:
    """The approved request a link stands for, while it is usable; ``LinkUnusable`` otherwise."""
    if not token or len(token) > 100:
        raise LinkUnusable()
    request = session.scalars(select(AccessRequest).where(AccessRequest.link_hash == _token_hash(token))).one_or_none()
    if (request is None or request.status != APPROVED or request.link_expires_at is None
            or request.link_expires_at <= (now or utcnow())):
        raise LinkUnusable()
    return request


def claim_credentials(session: Session, token: str, *, now: dt.datetime | None = None) -> Credentials:
    """Use the link: create the warehouse client with the granted scopes (and, for the private
    mode, its declared cohort size), and return the credentials, the only time the secret
    exists in clear. The link stops working at once."""
    request = request_for_link(session, token, now=now)
    actor = request.audit_target
    credentials = create_warehouse(session, request.organisation, scope=request.granted_scope, actor=actor)
    if "private-lookup" in request.granted_scope.split():
        declare_cohort(session, get_warehouse(session, credentials.client_id).id, request.granted_cohort_size,
                       actor=actor)
    request.status, request.claimed_at, request.client_id = CLAIMED, now or utcnow(), credentials.client_id
    request.link_hash = None
    session.flush()
    record_event(session, action="access_request.claimed", actor=actor, target=request.audit_target,
                 details={"client_id": credentials.client_id})
    return credentials


def purge_expired_requests(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the decided requests past their retention; returns how many went. A pending one
    stays until an administrator decides on it."""
    result = session.execute(delete(AccessRequest).where(AccessRequest.expires_at <= (now or utcnow()),
                                                         AccessRequest.status != PENDING),
                             execution_options={"synchronize_session": "fetch"})
    session.flush()
    return result.rowcount or 0


