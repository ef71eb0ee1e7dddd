"""Secret keys for identifiers: where they come from and how they are checked.

The keys never live in the database: a copy of the database alone must not let anyone test
whether a given person is in the registry. A key is written as ``<key id>:<hex secret>``, either
in configuration (an environment variable) or in a secret file holding that one line. Every row
derived from a key records its id, so that keys can be rotated later.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEV_KEY_PREFIX = "dev-"
_KEY_LINE = re.compile(r"^(?P<id>[A-Za-z0-9_.-]{1,40}):(?P<secret>[0-9a-fA-F]{64,128})$")


class KeyConfigurationError(Exception):
    """A key is missing, malformed or unfit for the configured environment."""


@dataclass(frozen=True)
class SecretKey:
    """A secret with its public id. The secret never appears in a repr."""

    key_id: str
    secret: bytes = field(repr=False)

    @property
    def is_development_key(self) -> bool:
        return self.key_id.startswith(DEV_KEY_PREFIX)


def parse_key(line: str, *, name: str) -> SecretKey:
    """Read ``<id>:<hex>``; the error names the setting, never the secret."""
    match = _KEY_LINE.match(line.strip())
    if not match:
        raise KeyConfigurationError(
            f"{name}: expected '<key id>:<64 to 128 hex characters>' "
            "(key id: letters, digits, '.', '_' or '-', up to 40 characters)"
        )
    secret = bytes.fromhex(match["secret"])
    if len(secret) < 32:
        raise KeyConfigurationError(f"{name}: the secret must hold at least 32 bytes")
    return SecretKey(match["id"], secret)


def load_key(*, name: str, value: str | None, path: str | None) -> SecretKey | None:
    """Load a key from its configured value or from its secret file; None when neither is set."""
    if value:
        return parse_key(value, name=name)
    if path:
        try:
            text = Path(path).read_text(encoding="ascii")
        except OSError as exc:
            raise KeyConfigurationError(f"{name}: cannot read the key file ({exc.strerror})") from None
        return parse_key(text, name=f"{name} file")
    return None


def development_key(folder: Path, name: str) -> SecretKey:
    """Return the development key stored under ``folder``, generating it once.

    Only the embedded default uses this; production refuses any key whose id says ``dev-``.
    The file is created with mode 0600 and never overwritten, so existing rows stay checkable.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.key"
    if not path.exists():
        line = f"{DEV_KEY_PREFIX}{name}-{secrets.token_hex(4)}:{secrets.token_hex(32)}\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(line)
    return parse_key(path.read_text(encoding="ascii"), name=f"{name} development key")


def require_production_key(key: SecretKey | None, *, name: str) -> SecretKey:
    """Refuse to run in production without a key, or with a development key."""
    if key is None:
        raise KeyConfigurationError(f"{name} is not configured; production refuses to start without it")
    if key.is_development_key:
        raise KeyConfigurationError(f"{name} is a development key; production refuses to start with it")
    return key
