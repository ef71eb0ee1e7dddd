"""Signed checkpoints of the transparency log: C2SP ``tlog-checkpoint`` bodies in C2SP
``signed-note`` envelopes, signed with Ed25519.

A checkpoint's body is exactly three lines: the log's origin, its size and the base64 root hash.
It holds no timestamp, so every node signs the same bytes for the same tree and, Ed25519 being
deterministic, writes the same note: two nodes never look like a fork. Every checkpoint is kept
(``log_checkpoints``, one row per size signed).

Signing is on demand and coalesced: a checkpoint is signed when someone needs one the latest does
not give (a receipt whose leaf it does not include, a reader when the tree grew), and at most once
per ``interval`` seconds; a receipt that arrives within the interval waits for its end.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Integer, LargeBinary, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.audit import lock_chain
from registry.dialect import upsert
from registry.keys import KeyConfigurationError, development_key, load_key, require_production_key
from registry.log_tree import TreeReader, tree_size
from registry.models import Base, UTCDateTime, utcnow

ED25519 = b"\x01"  # the signed-note signature type of Ed25519
SIGNATURE_DASH = "\u2014 "


class LogCheckpoint(Base):
    """One signed checkpoint, kept for ever: the note as served, and its root for the checks."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{b64(root)}\n"


@dataclass(frozen=True)
class NoteSigner:
    """The log's Ed25519 key under its name (the origin): signs notes, gives its verifier key."""

    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> "NoteSigner":
        if not name or any(c.isspace() or c == "+" for c in name):
            raise ValueError("a note key name has no spaces and no '+'")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_hash(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + ED25519 + self.public_key).digest()[:4]

    @property
    def verifier_key(self) -> str:
        """``<name>+<hex key hash>+<base64(0x01 || public key)>``, as notes are checked with."""
        return f"{self.name}+{self.key_hash.hex()}+{b64(ED25519 + self.public_key)}"

    def sign(self, body: str) -> str:
        signature = self.private_key.sign(body.encode("utf-8"))
        return f"{body}\n{SIGNATURE_DASH}{self.name} {b64(self.key_hash + signature)}\n"

    def opens(self, note: str) -> bool:
        """Whether ``note`` carries a valid signature of this key (the server's own check)."""
        body, _, signatures = note.partition("\n\n")
        for line in signatures.splitlines():
            if not line.startswith(f"{SIGNATURE_DASH}{self.name} "):
                continue
            try:
                raw = base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
                if raw[:4] == self.key_hash:
                    self.private_key.public_key().verify(raw[4:], (body + "\n").encode("utf-8"))
                    return True
            except (ValueError, InvalidSignature):
                continue
        return False


def latest(session: Session) -> LogCheckpoint | None:
    return session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)).first()


def seconds_before_signing(last: LogCheckpoint | None, *, needed: int, interval: float,
                           now: dt.datetime) -> float | None:
    """None when ``last`` already covers ``needed`` leaves; else how long to wait before a new
    signature is allowed (0: sign now)."""
    if last is not None and last.size >= needed:
        return None
    if last is None:
        return 0.0
    return max(0.0, interval - (now - last.signed_at).total_seconds())


def sign_current(session: Session, signer: NoteSigner, *, needed: int = 1) -> LogCheckpoint:
    """In the caller's unit of work: the latest checkpoint if it covers ``needed`` leaves by now
    (another node signed meanwhile), else a checkpoint of the current tree, signed and kept."""
    lock_chain(session)  # the tree does not move while it is read and signed
    last = latest(session)
    if last is not None and last.size >= needed:
        return last
    size = tree_size(session)
    root = TreeReader(session).root(size)
    upsert(session, LogCheckpoint, {"size": size, "root": root, "signed_at": utcnow(),
                                    "note": signer.sign(checkpoint_body(signer.name, size, root))}, key=["size"])
    return session.get(LogCheckpoint, size)


def load_signer(*, origin: str, key: str | None, key_file: str | None, production: bool,
                development_folder: Path) -> NoteSigner:
    """The log's signer: ``LOG_SIGNING_KEY`` (``<key id>:<64 hex>``, the Ed25519 seed) or its
    file; production refuses to start without one, development generates one under instance/."""
    secret = load_key(name="LOG_SIGNING_KEY", value=key, path=key_file)
    if production:
        secret = require_production_key(secret, name="LOG_SIGNING_KEY")
    else:
        secret = secret or development_key(development_folder, "log-signing")
    if len(secret.secret) != 32:
        raise KeyConfigurationError("LOG_SIGNING_KEY: an Ed25519 seed is exactly 32 bytes (64 hex characters)")
    try:
        return NoteSigner.from_seed(origin, secret.secret)
    except ValueError as error:
        raise KeyConfigurationError(f"LOG_ORIGIN: {error}") from None
