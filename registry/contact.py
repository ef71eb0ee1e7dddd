"""Messages sent with the public contact form, kept only as long as needed to answer them.

A message holds its topic, its text, the page language and, only when the person gives one, an
email address to answer to, sealed (AES-256-GCM under ``CONTACT_KEY``, a secret held outside the
database like the identifier keys): a copy of the database alone does not give the addresses.
No name field, no IP address, no browser data, and no social security number:
``holds_identifier`` finds one however it was typed, the form refuses the message with a word of
explanation, and ``DatabaseInbox`` refuses it too (``MessageHoldsIdentifier``) so that no other
way in can store one. Delivery goes through ``ContactInbox`` so that another channel (a ticketing
tool, a mailbox) can replace the database one without touching the form.

Agents read the messages in the back-office inbox, reply by e-mail and mark them handled. The
retention runs from reception, but a message nobody has handled is never purged: a complaint
(accessibility above all, which the law says must be answered) cannot disappear unread; the
compliance board counts the unanswered ones so that a backlog is seen.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, case, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event
from registry.errors import RegistryError
from registry.identifier_rules import key_digits, key_for
from registry.identifiers import identifier_error
from registry.keys import SecretKey
from registry.models import Base, UTCDateTime, utcnow

TOPICS = ("question", "filing", "my_data", "accessibility", "other")
MAX_MESSAGE_LENGTH = 5000


# What a person types between the characters of a number: any run of up to MAX_GAP characters
# that are neither letters nor digits (spaces, slashes, dots, dashes, commas, brackets, "@"...).
# Letters other than the A or B of Corsica, and longer gaps, end the number.
MAX_GAP = 3
_SIGNIFICANT = re.compile(r"[0-9AB]+", re.ASCII)
_RUN = re.compile(r"[0-9AB](?:[^0-9A-Z]{0,%d}[0-9AB])*" % MAX_GAP, re.ASCII)


def _folded(text: str) -> str:
    """NFKC (full-width and other compatibility forms become ASCII), every script's decimal
    digits as ASCII digits, upper case; letters outside ASCII become "Z", which ends a number
    as any letter does."""
    out = []
    for char in unicodedata.normalize("NFKC", text):
        if char.isascii():
            out.append(char.upper())
        elif char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif char.isalpha():
            out.append("Z")
        else:
            out.append(" ")
    return "".join(out)


def _number_runs(text: str) -> Iterator[str]:
    """The digits (and A/B) of every stretch of ``text`` that may be one number typed with
    separators, separators removed."""
    for run in _RUN.finditer(_folded(text)):
        yield "".join(_SIGNIFICANT.findall(run.group()))


def _valid_without_key(body: str) -> bool:
    """Whether 13 characters are a valid number typed without its 2-digit key."""
    if not key_digits(body).isdigit():  # a letter the key cannot read
        return False
    return identifier_error(body + key_for(body)) is None


def holds_identifier(text: str | None) -> bool:
    """Whether a person's free text holds a social security number (NIR or NIA), however it was
    typed: separators of any kind and mixed ("2/85/02/2A/004/123/55", "2.85-02 2a..."),
    full-width or other scripts' digits, inside an e-mail address. A number is any 15
    consecutive characters of a stretch that ``registry.identifiers`` accepts (its key included),
    or a stretch of exactly 13 characters that it accepts once the key is added (a number typed
    without its key). Other numbers (phone numbers, dates, amounts) pass: each would also need
    a matching key (about one in a hundred 15-digit stretches that look like numbers)."""
    if not text:
        return False
    for run in _number_runs(text):
        bare = run.strip("AB")  # "a" or "à" before a number is a word, not part of it
        if len(bare) == 13 and _valid_without_key(bare):
            return True
        for start in range(len(run) - 14):
            if identifier_error(run[start:start + 15]) is None:
                return True
    return False


class MessageHoldsIdentifier(ValueError):
    """A contact message (its text or its reply address) holds a social security number; the
    message says so without repeating it."""

    code = "identifier_in_message"

    def __init__(self) -> None:
        super().__init__("the message holds a social security number")


class ContactMessage(Base):
    """One message to staff. Purged once ``expires_at`` has passed and an agent has handled it."""

    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    # Addresses written before they were sealed (migration 0015); ``seal_plain_addresses`` seals
    # them on the next delivery or purge and empties the column.
    plain_reply_to: Mapped[str | None] = mapped_column("reply_to", String(254))
    reply_to_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    reply_to_key_id: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def has_reply_address(self) -> bool:
        return self.reply_to_sealed is not None or self.plain_reply_to is not None

    @property
    def reference(self) -> str:
        """How the audit trail names the message: its number, nothing of its content."""
        return f"contact:{self.id}"

    def __repr__(self) -> str:
        return f"ContactMessage(id={self.id}, topic={self.topic!r})"


class ContactReply(Base):
    """An agent's reply by e-mail, kept (with its message) whether or not it could be sent, so
    that a failed sending loses nothing and can be tried again."""

    __tablename__ = "contact_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("contact_messages.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    written_by: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[str | None] = mapped_column(String(40))  # a code, never the server's words

    def __repr__(self) -> str:
        return f"ContactReply(id={self.id}, message_id={self.message_id}, sent={self.sent_at is not None})"


class ContactError(RegistryError):
    code = "contact_error"


class MessageNotFound(ContactError):
    code = "contact_message_not_found"
    message = "no such contact message"


class NoReplyAddress(ContactError):
    code = "contact_no_reply_address"
    message = "the message has no address to reply to"


class ReplyAddressUnreadable(ContactError):
    """The address was sealed under another key than the configured one, or altered."""

    code = "contact_reply_address_unreadable"
    message = "the reply address cannot be opened with the configured contact key"


_SEAL_INFO = b"registre contact reply address v1"
_NONCE_BYTES = 12


@dataclass(frozen=True)
class AddressSealer:
    """Seals and opens reply addresses with AES-256-GCM under a key derived (HKDF-SHA256) from
    ``CONTACT_KEY``. Each sealed address records the key id, as identifier hashes do."""

    key: SecretKey

    def _cipher(self) -> AESGCM:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(self.key.secret)
        return AESGCM(derived)

    def seal(self, address: str) -> tuple[bytes, str]:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, address.encode("utf-8"), self.key.key_id.encode("ascii"))
        return nonce + sealed, self.key.key_id

    def open(self, sealed: bytes, key_id: str | None) -> str:
        if key_id != self.key.key_id:
            raise ReplyAddressUnreadable()
        try:
            plain = self._cipher().decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], key_id.encode("ascii"))
        except InvalidTag:
            raise ReplyAddressUnreadable() from None
        return plain.decode("utf-8")


@dataclass(frozen=True)
class NewMessage:
    """What the form hands over, already checked."""

    topic: str
    body: str
    language: str
    reply_to: str | None = None


class ContactInbox(Protocol):
    """Where contact messages go. ``deliver`` runs in the caller's transaction."""

    def deliver(self, session: Session, message: NewMessage) -> None: ...


@dataclass(frozen=True)
class DatabaseInbox:
    """Keeps each message in ``contact_messages``, its reply address sealed, for ``retention``
    and until an agent has handled it. Each delivery first purges what may go, so that nothing
    outlives its retention even without the scheduled ``purge-contact-messages`` command."""

    retention: dt.timedelta
    sealer: AddressSealer

    def deliver(self, session: Session, message: NewMessage) -> None:
        if message.topic not in TOPICS:
            raise ValueError("unknown contact topic")
        if holds_identifier(message.body) or holds_identifier(message.reply_to):
            raise MessageHoldsIdentifier()
        now = utcnow()
        purge_expired_messages(session, now)
        seal_plain_addresses(session, self.sealer)
        sealed, key_id = self.sealer.seal(message.reply_to) if message.reply_to else (None, None)
        session.add(ContactMessage(
            topic=message.topic, body=message.body[:MAX_MESSAGE_LENGTH], reply_to_sealed=sealed,
            reply_to_key_id=key_id, language=message.language, received_at=now, expires_at=now + self.retention,
        ))
        session.flush()


def messages_for_staff(session: Session) -> list[ContactMessage]:
    """The inbox: messages nobody has handled yet, oldest first (the longest wait on top), then
    the handled ones, most recently handled first."""
    unhandled_first = case((ContactMessage.handled_at.is_(None), 0), else_=1)
    return list(session.scalars(select(ContactMessage).order_by(
        unhandled_first, ContactMessage.handled_at.desc(), ContactMessage.received_at, ContactMessage.id)))


@dataclass(frozen=True)
class Backlog:
    """What the compliance board shows of the inbox."""

    unanswered: int
    accessibility: int
    oldest: dt.datetime | None


def unanswered_messages(session: Session) -> Backlog:
    """How many messages no agent has handled yet, how many of them about accessibility, and
    when the oldest arrived."""
    count, accessibility, oldest = session.execute(
        select(func.count(), func.count(case((ContactMessage.topic == "accessibility", 1))),
               func.min(ContactMessage.received_at))
        .where(ContactMessage.handled_at.is_(None))
    ).one()
    return Backlog(count, accessibility, oldest)


def get_message(session: Session, message_id: int) -> ContactMessage:
    message = session.get(ContactMessage, message_id)
    if message is None:
        raise MessageNotFound()
    return message


def read_message(session: Session, message_id: int, *, actor: str) -> ContactMessage:
    """The message, for an agent who opens it: the reading is audited (which message, by whom;
    nothing of its content)."""
    message = get_message(session, message_id)
    record_event(session, action="contact.read", actor=actor, target=message.reference, details={"topic": message.topic})
    return message


def replies_to(session: Session, message_id: int) -> list[ContactReply]:
    return list(session.scalars(select(ContactReply).where(ContactReply.message_id == message_id)
                                .order_by(ContactReply.written_at, ContactReply.id)))


def mark_handled(session: Session, message_id: int, *, actor: str, now: dt.datetime | None = None) -> ContactMessage:
    """The message needs nothing more; from now on it goes when its retention ends. Marking a
    handled message again changes nothing."""
    message = get_message(session, message_id)
    if message.handled_at is None:
        message.handled_at = now or utcnow()
        record_event(session, action="contact.handled", actor=actor, target=message.reference,
                     details={"topic": message.topic})
        session.flush()
    return message


def write_reply(session: Session, message_id: int, *, subject: str, body: str, actor: str) -> ContactReply:
    """Keep an agent's reply before it is sent (the sending happens after the commit): a failed
    sending leaves it here, not sent, to be tried again."""
    message = get_message(session, message_id)
    if not message.has_reply_address:
        raise NoReplyAddress()
    if holds_identifier(body):
        raise MessageHoldsIdentifier()
    reply = ContactReply(message_id=message.id, subject=subject[:200], body=body[:MAX_MESSAGE_LENGTH],
                         written_by=actor, written_at=utcnow(), attempts=0)
    session.add(reply)
    session.flush()
    record_event(session, action="contact.reply_written", actor=actor, target=message.reference,
                 details={"reply": reply.id})
    return reply


def get_reply(session: Session, message_id: int, reply_id: int) -> ContactReply:
    reply = session.get(ContactReply, reply_id)
    if reply is None or reply.message_id != message_id:
        raise MessageNotFound()
    return reply


def reply_address(session: Session, message: ContactMessage, sealer: AddressSealer) -> str:
    """The address to send a reply to, opened for the sending only (never shown, never logged)."""
    if message.reply_to_sealed is not None:
        return sealer.open(message.reply_to_sealed, message.reply_to_key_id)
    if message.plain_reply_to is not None:
        return message.plain_reply_to
    raise NoReplyAddress()


def record_sending(session: Session, reply: ContactReply, *, actor: str, failure: str | None = None) -> None:
    """What came of one try at sending ``reply``: sent (the message is then handled) or not,
    with the failure's code. Audited with the code only."""
    reply.attempts += 1
    message = get_message(session, reply.message_id)
    if failure is None:
        reply.sent_at = utcnow()
        reply.last_failure = None
        record_event(session, action="contact.reply_sent", actor=actor, target=message.reference,
                     details={"reply": reply.id})
        mark_handled(session, message.id, actor=actor)
    else:
        reply.last_failure = failure[:40]
        record_event(session, action="contact.reply_failed", actor=actor, target=message.reference,
                     details={"reply": reply.id, "failure": reply.last_failure})
    session.flush()


def seal_plain_addresses(session: Session, sealer: AddressSealer) -> int:
    """Seal the addresses kept in clear before sealing existed; returns how many."""
    messages = list(session.scalars(select(ContactMessage).where(ContactMessage.plain_reply_to.is_not(None))))
    for message in messages:
        message.reply_to_sealed, message.reply_to_key_id = sealer.seal(message.plain_reply_to)
        message.plain_reply_to = None
    session.flush()
    return len(messages)


def purge_expired_messages(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the handled messages past their retention, with their replies; returns how many
    messages went. A message nobody has handled stays, however old: it is counted on the board."""
    expired = (select(ContactMessage.id)
               .where(ContactMessage.expires_at <= (now or utcnow()), ContactMessage.handled_at.is_not(None)))
    session.execute(delete(ContactReply).where(ContactReply.message_id.in_(expired)), execution_options={"synchronize_session": "fetch"})
    result = session.execute(delete(ContactMessage).where(ContactMessage.id.in_(expired)),
                             execution_options={"synchronize_session": "fetch"})
    session.flush()
    return result.rowcount or 0
