"""The identifier keys a process works with, loaded once from configuration.

Two secrets: one for the HMAC that every lookup uses, one for the RFC 9497 OPRF output stored at
filing. Both live outside the database. On the embedded default they are generated once under
``instance/keys``; in production both must be configured and must not be development keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.hashing import IdentifierHasher
from registry.keys import development_key, load_key, require_production_key
from registry.oprf import OprfEvaluator


@dataclass(frozen=True)
class Keyring:
    hasher: IdentifierHasher
    oprf: OprfEvaluator


def load_keyring(
    *,
    identifier_key: str | None = None,
    identifier_key_file: str | None = None,
    oprf_key: str | None = None,
    oprf_key_file: str | None = None,
    production: bool,
    development_folder: Path | None = None,
) -> Keyring:
    """Load both keys; fail with a message naming the setting (never the secret) when unfit."""
    hmac_key = load_key(name="IDENTIFIER_KEY", value=identifier_key, path=identifier_key_file)
    oprf_secret = load_key(name="OPRF_KEY", value=oprf_key, path=oprf_key_file)
    if production:
        hmac_key = require_production_key(hmac_key, name="IDENTIFIER_KEY")
        oprf_secret = require_production_key(oprf_secret, name="OPRF_KEY")
    else:
        if development_folder is None and (hmac_key is None or oprf_secret is None):
            raise ValueError("a development key folder is needed when keys are not configured")
        hmac_key = hmac_key or development_key(development_folder, "identifier")
        oprf_secret = oprf_secret or development_key(development_folder, "oprf")
    return Keyring(IdentifierHasher(hmac_key), OprfEvaluator(oprf_secret))
