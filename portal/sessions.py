"""Sessions kept on the server: the browser's cookie holds a random token and nothing else.

Flask's default session is the cookie itself, signed but readable, and valid until it expires:
a cookie copied before a logout went on opening the pages after it, and the identity claims of
a FranceConnect login (name, birth date, birthplace) could be read from it. Here:

- the cookie holds 32 random bytes (``token``); the server keeps the session under
  ``HMAC(SECRET_KEY, token)``, so the store's keys do not give the cookies back;
- the content is sealed with AES-GCM under a key derived from the token alone: the store (the
  database table ``web_sessions``, or Redis with ``SESSION_STORE_URL=redis://...``) holds no
  readable session, and the server secret does not open it either;
- logout, and every sign-in, ends the stored session and issues a new token
  (``ServerSession.regenerate``): an old cookie opens nothing;
- a stored session lives ``SESSION_IDLE_LIFETIME`` seconds after its last use.

A request that sends no cookie and puts nothing in its session (the API, most public pages)
never touches the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy.orm import sessionmaker
from werkzeug.datastructures import CallbackDict

from registry import session_store
from registry.db import unit_of_work
from registry.models import utcnow

TOKEN_BYTES = 32
NONCE_BYTES = 12
TOUCH_AFTER = 60  # seconds: an unchanged session's expiry is pushed back at most this often
_serializer = TaggedJSONSerializer()


class ServerSession(CallbackDict, SessionMixin):
    """A session whose content lives on the server; ``token`` is what the cookie carries."""

    def __init__(self, initial=None, token: str | None = None, expires_at: dt.datetime | None = None) -> None:
        def on_update(this) -> None:
            this.modified = True
            this.accessed = True

        super().__init__(initial, on_update)
        self.token = token
        self.expires_at = expires_at
        self.new = token is None
        self.modified = False
        self.ended_token: str | None = None

    def regenerate(self) -> None:
        """End the stored session and carry on under a new token (at sign-in and logout): a
        cookie copied before opens nothing afterwards."""
        if self.token is not None:
            self.ended_token = self.token
        self.token = None
        self.modified = True


def storage_key(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), b"session-key:" + token.encode(), hashlib.sha256).hexdigest()


def _cipher(token: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"registre-session-seal:" + token.encode()).digest())


def seal(token: str, key: str, content: dict) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _cipher(token).encrypt(nonce, _serializer.dumps(content).encode(), key.encode())


def unseal(token: str, key: str, sealed: bytes) -> dict | None:
    try:
        plain = _cipher(token).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], key.encode())
        content = _serializer.loads(plain.decode())
    except (InvalidTag, ValueError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return content if isinstance(content, dict) else None


class DatabaseStore:
    """Sessions in the registry's database (``registry.session_store``): the embedded default,
    and shared by every process that serves the same database."""

    def __init__(self, engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def load(self, key: str):
        with self._sessions() as session:
            return session_store.load_session(session, key)

    def save(self, key: str, sealed: bytes, expires_at: dt.datetime) -> None:
        with self._sessions() as session, unit_of_work(session):
            session_store.store_session(session, key, sealed, expires_at)

    def end(self, key: str) -> None:
        with self._sessions() as session, unit_of_work(session):
            session_store.end_session(session, key)


class RedisStore:
    """Sessions in Redis (production): each one a key that expires by itself."""

    PREFIX = "registre:session:"

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def load(self, key: str):
        with self._redis.pipeline() as pipe:
            sealed, ttl = pipe.get(self.PREFIX + key).pttl(self.PREFIX + key).execute()
        if sealed is None or ttl is None or ttl <= 0:
            return None
        return bytes(sealed), utcnow() + dt.timedelta(milliseconds=ttl)

    def save(self, key: str, sealed: bytes, expires_at: dt.datetime) -> None:
        milliseconds = max(1, int((expires_at - utcnow()).total_seconds() * 1000))
        self._redis.set(self.PREFIX + key, sealed, px=milliseconds)

    def end(self, key: str) -> None:
        self._redis.delete(self.PREFIX + key)


class ServerSessionInterface(SessionInterface):
    """Flask's session interface over a store (``DatabaseStore`` or ``RedisStore``)."""

    def __init__(self, store) -> None:
        self.store = store

    def open_session(self, app: Flask, request) -> ServerSession:
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or len(token) > 64:
            return ServerSession()
        key = storage_key(app.secret_key, token)
        found = self.store.load(key)
        content = unseal(token, key, found[0]) if found else None
        if content is None:
            return ServerSession()  # unknown, ended or expired: a new, empty session
        return ServerSession(content, token=token, expires_at=found[1])

    def save_session(self, app: Flask, session: ServerSession, response) -> None:
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        if session.ended_token is not None:
            self.store.end(storage_key(app.secret_key, session.ended_token))
            session.ended_token = None
        if not session:
            if session.token is not None:
                self.store.end(storage_key(app.secret_key, session.token))
            if name in request.cookies:
                response.delete_cookie(name, domain=domain, path=path, secure=self.get_cookie_secure(app),
                                       httponly=True, samesite=self.get_cookie_samesite(app))
                response.vary.add("Cookie")
            return
        response.vary.add("Cookie")
        now = utcnow()
        lifetime = dt.timedelta(seconds=int(app.config["SESSION_IDLE_LIFETIME"]))
        touch = session.expires_at is not None and session.expires_at - now < lifetime - dt.timedelta(seconds=TOUCH_AFTER)
        if not (session.modified or session.token is None or touch):
            return
        if session.token is None:
            session.token = secrets.token_urlsafe(TOKEN_BYTES)
        key = storage_key(app.secret_key, session.token)
        session.expires_at = now + lifetime
        self.store.save(key, seal(session.token, key, dict(session)), session.expires_at)
        response.set_cookie(name, session.token, expires=self.get_expiration_time(app, session), httponly=True,
                            domain=domain, path=path, secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app))


def end_session(session) -> None:
    """Forget everything in this browser's session and issue it a new token."""
    session.clear()
    if isinstance(session, ServerSession):
        session.regenerate()


def init_app(app: Flask) -> None:
    from portal.database import db

    app.config.setdefault("SESSION_IDLE_LIFETIME", 12 * 3600)
    app.config.setdefault("SESSION_STORE_URL", "database")
    url = app.config["SESSION_STORE_URL"]
    store = DatabaseStore(db.engine(app)) if url == "database" else RedisStore(url)
    app.session_interface = ServerSessionInterface(store)
