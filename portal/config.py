"""Configuration: defaults, then ``REGISTRE_*`` environment variables, then the test config.

Production (``REGISTRE_ENV=production``) refuses to start without its secrets, and refuses the
development identifier keys generated for the embedded default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ENV_PREFIX = "REGISTRE"


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely; the message names the setting to fix."""


def default_config(app: Flask) -> dict:
    instance = Path(app.instance_path)
    return {
        "ENV_NAME": "development",
        "DATABASE_URL": f"sqlite:///{instance / 'registre.db'}",
        "IDENTIFIER_KEY": None,
        "IDENTIFIER_KEY_FILE": None,
        "OPRF_KEY": None,
        "OPRF_KEY_FILE": None,
        "ALLOW_TEST_IDENTIFIERS": True,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(app.root_path).parent / "translations"),
        "LANGUAGES": ("fr", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "rno_session",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(default_config(app))
    app.config.from_prefixed_env(ENV_PREFIX)
    if "DATABASE_URL" in os.environ and f"{ENV_PREFIX}_DATABASE_URL" not in os.environ:
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.from_mapping(test_config)
    production = app.config["ENV_NAME"] == "production"
    app.config["PRODUCTION"] = production
    if production:
        if not app.config.get("SECRET_KEY"):
            raise ConfigurationError("REGISTRE_SECRET_KEY is not set; production refuses to start without it")
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["ALLOW_TEST_IDENTIFIERS"] = False
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret(Path(app.instance_path))


def _development_secret(instance: Path) -> str:
    """A session secret generated once for the embedded default, kept under instance/."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
