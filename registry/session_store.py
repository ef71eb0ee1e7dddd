"""Web sessions kept on the server, in the database (the embedded default's session store).

A browser holds only a random token. The row is found by a keyed hash of that token and holds
the session encrypted with a key derived from the token (``portal.sessions``), so this table
alone tells nothing: not who is signed in, not the identity claims of their login. A row lives
until ``expires_at`` (pushed back while the session is used) or until the session ends (logout,
sign-in on the same browser); ``purge_expired_sessions`` removes the ones left behind.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models import Base, UTCDateTime, utcnow


class StoredSession(Base):
    """One browser session: its key (a hash of the cookie's token) and its encrypted content."""

    __tablename__ = "web_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def load_session(session: Session, key: str, now: dt.datetime | None = None) -> tuple[bytes, dt.datetime] | None:
    """The sealed content and expiry of a live session, or None (unknown or expired)."""
    row = session.execute(select(StoredSession.sealed, StoredSession.expires_at)
                          .where(StoredSession.key == key)).one_or_none()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return bytes(row.sealed), row.expires_at


def store_session(session: Session, key: str, sealed: bytes, expires_at: dt.datetime) -> None:
    """Create or replace the session ``key``."""
    row = session.get(StoredSession, key)
    if row is None:
        session.add(StoredSession(key=key, sealed=sealed, expires_at=expires_at))
    else:
        row.sealed, row.expires_at = sealed, expires_at
    session.flush()


def end_session(session: Session, key: str) -> None:
    """Forget the session ``key``: its cookie opens nothing any more."""
    session.execute(delete(StoredSession).where(StoredSession.key == key))


def purge_expired_sessions(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the sessions past their expiry; returns how many."""
    result = session.execute(delete(StoredSession).where(StoredSession.expires_at <= (now or utcnow())))
    return result.rowcount or 0
