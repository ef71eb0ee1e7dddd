"""Messages sent with the public contact form, kept only as long as needed to answer them.

A message holds its topic, its text, the page language and, only when the person gives one, an
email address to answer to. No name field, no IP address, no browser data: if someone types a
number in the text, it is theirs to share, and it leaves with the message at ``expires_at``.
Delivery goes through ``ContactInbox`` so that another channel (a ticketing tool, a mailbox)
can replace the database one without touching the form; the staff-facing list reads the same
table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Base, UTCDateTime, utcnow

TOPICS = ("question", "filing", "my_data", "accessibility", "other")
MAX_MESSAGE_LENGTH = 5000


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
