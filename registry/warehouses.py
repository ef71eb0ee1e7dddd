"""Warehouse API clients and their access tokens.

A warehouse authenticates with a client id and a secret (OAuth2 client credentials). The secret
is shown once when created or rotated and only its argon2id hash is kept: a leaked database does
not let anyone query the registry. Access tokens are short-lived and stored as SHA-256 hashes,
so a database dump holds no usable token either; disabling a client refuses its live tokens at
once because every request checks the client along with the token.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import record_event
from registry.db import DriverConnection, driver_connection
from registry.dialect import sqlite_datetime_text
from registry.errors import RegistryError
from registry.models import Base, UTCDateTime, utcnow

SCOPES = {
    "lookup": "Check identifiers in batches (POST /api/v1/lookup).",
    "jobs": "Send whole cohort files as background jobs (/api/v1/jobs).",
    "private-lookup": "Check a cohort without sending it (/api/v1/private/...).",
}
DEFAULT_SCOPE = "lookup jobs"
MAX_TOKEN_LIFETIME = dt.timedelta(minutes=15)

_password_hasher = PasswordHasher()  # argon2id with the library's current recommended costs
# Checked when the client is unknown or disabled, so that such a request costs as long as a wrong
# secret and client ids cannot be told apart by timing.
_dummy_hash = _password_hasher.hash(secrets.token_urlsafe(16))


def use_secret_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and check client secrets with ``hasher`` from now on, and return the one it replaces.

    ``hasher`` is an argon2 ``PasswordHasher`` (other costs) or anything with its ``hash`` and
    ``verify`` (the tests count verifications through it). The dummy hash that unknown and
    disabled clients are checked against is made again with it, so that they keep costing what
    a known client's wrong secret costs."""
    global _password_hasher, _dummy_hash
    previous, _password_hasher = _password_hasher, hasher
    _dummy_hash = hasher.hash(secrets.token_urlsafe(16))
    return previous


class Warehouse(Base):
    """A health-data warehouse (or research platform) allowed to call the lookup API."""

    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret_rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def __repr__(self) -> str:
        return f"Warehouse(client_id={self.client_id!r}, active={self.active})"


class ApiToken(Base):
    """An access token, known by its SHA-256 only; it dies at ``expires_at`` or with its client."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    scope: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"ApiToken(warehouse_id={self.warehouse_id}, expires_at={self.expires_at})"


class WarehouseNotFound(RegistryError):
    code = "warehouse_not_found"
    message = "No warehouse client has this id."


class InvalidScope(RegistryError):
    code = "invalid_scope"
    message = "A scope is not one of the API's scopes."


@dataclass(frozen=True)
class Credentials:
    """What a warehouse is given once: the secret is never shown or stored again."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AuthenticatedClient:
    """The warehouse behind a valid access token, as a request sees it."""

    warehouse_id: int
    client_id: str
    name: str
    scopes: frozenset[str]


def _check_scope(scope: str) -> str:
    words = scope.split()
    if not words or not set(words) <= SCOPES.keys():
        raise InvalidScope()
    return " ".join(w for w in SCOPES if w in words)


def create_warehouse(session: Session, name: str, *, scope: str = DEFAULT_SCOPE, actor: str = "admin") -> Credentials:
    """Register a warehouse client and return its credentials (the only time the secret exists)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise RegistryError("A warehouse name has 1 to 200 characters.")
    credentials = Credentials("rno_" + secrets.token_hex(12), secrets.token_urlsafe(32))
    warehouse = Warehouse(
        client_id=credentials.client_id,
        name=name,
        secret_hash=_password_hasher.hash(credentials.client_secret),
        scope=_check_scope(scope),
    )
    session.add(warehouse)
    session.flush()
    record_event(session, action="warehouse.created", actor=actor, target=credentials.client_id,
                 details={"name": name, "scope": warehouse.scope})
    return credentials


def get_warehouse(session: Session, client_id: str) -> Warehouse:
    warehouse = session.scalars(select(Warehouse).where(Warehouse.client_id == client_id)).one_or_none()
    if warehouse is None:
        raise WarehouseNotFound()
    return warehouse


def rotate_secret(session: Session, client_id: str, *, actor: str = "admin") -> Credentials:
    """Give the warehouse a new secret; the old one stops working and its live tokens are revoked
    (a rotation usually follows a suspected leak)."""
    warehouse = get_warehouse(session, client_id)
    secret = secrets.token_urlsafe(32)
    warehouse.secret_hash = _password_hasher.hash(secret)
    warehouse.secret_rotated_at = utcnow()
    session.execute(delete(ApiToken).where(ApiToken.warehouse_id == warehouse.id))
    session.flush()
    record_event(session, action="warehouse.secret_rotated", actor=actor, target=client_id)
    return Credentials(client_id, secret)


def disable_warehouse(session: Session, client_id: str, *, actor: str = "admin") -> Warehouse:
    """Stop a warehouse: its secret and its live tokens are refused from now on."""
    warehouse = get_warehouse(session, client_id)
    if warehouse.disabled_at is None:
        warehouse.disabled_at = utcnow()
        session.execute(delete(ApiToken).where(ApiToken.warehouse_id == warehouse.id))
        session.flush()
        record_event(session, action="warehouse.disabled", actor=actor, target=client_id)
    return warehouse


def check_client_secret(warehouse: Warehouse | None, secret: str) -> bool:
    """True when ``secret`` is the warehouse's current secret and the warehouse is active. An
    unknown (None) or disabled warehouse costs one argon2 check too, against a dummy hash."""
    usable = warehouse is not None and warehouse.active
    try:
        matches = _password_hasher.verify(warehouse.secret_hash if usable else _dummy_hash,
                                          secret if isinstance(secret, str) else "")
    except (VerificationError, InvalidHashError):
        return False
    return usable and matches


def token_hash(access_token: str) -> bytes:
    return hashlib.sha256(access_token.encode("utf-8", "surrogatepass")).digest()


def store_token(session: Session, warehouse: Warehouse, access_token: str, scope: str, expires_in: int) -> ApiToken:
    """Keep the hash of a token just issued, and forget the client's tokens long expired."""
    now = utcnow()
    lifetime = min(dt.timedelta(seconds=expires_in), MAX_TOKEN_LIFETIME)
    session.execute(delete(ApiToken).where(ApiToken.warehouse_id == warehouse.id,
                                           ApiToken.expires_at < now - dt.timedelta(hours=1)))
    token = ApiToken(token_hash=token_hash(access_token), warehouse_id=warehouse.id, scope=scope,
                     issued_at=now, expires_at=now + lifetime)
    session.add(token)
    session.flush()
    return token


_TOKEN_SQL = (
    "SELECT w.id, w.client_id, w.name, t.scope{extra} FROM api_tokens t JOIN warehouses w ON w.id = t.warehouse_id"
    " WHERE t.token_hash = {marker} AND t.expires_at > {marker} AND w.disabled_at IS NULL"
)
_MARKERS = {"postgresql": "%s", "sqlite": "?"}


def token_query(dialect: str, access_token: str, extra_columns: str = "") -> tuple[str, tuple]:
    """The token check as a raw statement and its parameters, for ``dialect``: it selects the
    client's four columns (``client_from_row``) when the token is valid, and no row otherwise.
    ``extra_columns`` (", expression, ...") are read in the same statement, after those four;
    their parameters come before the token check's."""
    now = utcnow().replace(tzinfo=None)  # stored naive in UTC (``UTCDateTime``)
    stamp = now if dialect == "postgresql" else sqlite_datetime_text(now)
    return _token_sql(dialect, extra_columns), (token_hash(access_token), stamp)


@functools.lru_cache(maxsize=16)
def _token_sql(dialect: str, extra_columns: str) -> str:
    return _TOKEN_SQL.format(extra=extra_columns, marker=_MARKERS[dialect])


def client_from_row(row) -> AuthenticatedClient:
    return AuthenticatedClient(row[0], row[1], row[2], frozenset(row[3].split()))


def authenticate_token(session: Session | DriverConnection, access_token: str) -> AuthenticatedClient | None:
    """The active warehouse behind an unexpired token, or None (unknown, expired or disabled).

    This runs on every API call: one indexed query through the raw driver, in the session's
    transaction (SQLAlchemy's statement overhead would cost more than the query).
    """
    driver, engine = driver_connection(session)
    sql, params = token_query(engine.dialect.name, access_token)
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return None
    return client_from_row(row)
