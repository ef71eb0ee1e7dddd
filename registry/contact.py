"""Messages sent with the public contact form, kept only as long as needed to answer them.

A message holds its topic, its text, the page language and, only when the person gives one, an
email address to answer to. No name field, no IP address, no browser data, and no social
security number: ``holds_identifier`` finds one however it was typed, the form refuses the
message with a word of explanation, and ``DatabaseInbox`` refuses it too (``MessageHoldsIdentifier``)
so that no other way in can store one. Delivery goes through ``ContactInbox`` so that another
channel (a ticketing tool, a mailbox) can replace the database one without touching the form;
the staff-facing list reads the same table.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.identifiers import identifier_error
from registry.models import Base, UTCDateTime, utcnow

TOPICS = ("question", "filing", "my_data", "accessibility", "other")
MAX_MESSAGE_LENGTH = 5000


# What a person types between the characters of a number: any run of up to MAX_GAP characters
# that are neither letters nor digits (spaces, slashes, dots, dashes, commas, brackets, "@"...).
# Letters other than the A or B of Corsica, and longer gaps, end the number.
MAX_GAP = 3
_SIGNIFICANT = re.compile(r"[0-9AB]+", re.ASCII)
_RUN = re.compile(r"[0-9AB](?:[^0-9A-Z]{0,%d}[0-9AB])*" % MAX_GAP, re.ASCII)
_CORSICA_DIGITS = {"A": "19", "B": "18"}  # as the key reads them


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
    digits = body[:5] + _CORSICA_DIGITS[body[6]] + body[7:] if body[6:7] in ("A", "B") else body
    if not digits.isdigit():
        return False
    return identifier_error(f"{body}{97 - int(digits) % 97:02d}") is None


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
    """One message to staff, deleted at ``expires_at``."""

    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"ContactMessage(id={self.id}, topic={self.topic!r})"


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
    """Keeps each message in ``contact_messages`` for ``retention``. Each delivery first
    deletes the messages past their retention, so that nothing outlives it even without the
    scheduled ``purge-contact-messages`` command."""

    retention: dt.timedelta

    def deliver(self, session: Session, message: NewMessage) -> None:
        if message.topic not in TOPICS:
            raise ValueError("unknown contact topic")
        if holds_identifier(message.body) or holds_identifier(message.reply_to):
            raise MessageHoldsIdentifier()
        now = utcnow()
        purge_expired_messages(session, now)
        session.add(ContactMessage(
            topic=message.topic, body=message.body[:MAX_MESSAGE_LENGTH], reply_to=message.reply_to or None,
            language=message.language, received_at=now, expires_at=now + self.retention,
        ))
        session.flush()


def messages_for_staff(session: Session) -> list[ContactMessage]:
    """Messages still kept, oldest first: what a staff-facing list will show."""
    return list(session.scalars(select(ContactMessage).order_by(ContactMessage.received_at, ContactMessage.id)))


def purge_expired_messages(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the messages past their retention; returns how many went."""
    result = session.execute(delete(ContactMessage).where(ContactMessage.expires_at <= (now or utcnow())))
    session.flush()
    return result.rowcount or 0
