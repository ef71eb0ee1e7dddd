"""Configuration: defaults, then ``REGISTRE_*`` environment variables, then the test config.

The safe setting is the default: an app started without ``REGISTRE_ENV_NAME`` (``gunicorn
wsgi:app``, ``flask --app wsgi``) runs in production. ``./run``, the tests and the benchmarks
ask for ``development`` explicitly. ``staging`` is production in every respect but one: it may
sign citizens in with a local identity provider over http on loopback, and says so loudly.

Production and staging refuse to start, naming every setting to fix at once, without the
session secret, the facts of the legal notice and of the help channels, a shared limiter
storage, a shared job queue (Redis), or the number of trusted proxies in front (``REGISTRE_TRUSTED_PROXIES``, which also
tells ``ProxyFix`` how many ``X-Forwarded-*`` hops to believe, so that limits key on the
client and not on the proxy), the SMTP relay and sender of the portal's mail (``portal.mail``),
or the key that seals contact reply addresses. They also refuse the development identifier keys.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ENV_PREFIX = "REGISTRE"
ENVIRONMENTS = ("production", "staging", "development")


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely; the message names the setting to fix."""


def default_config(app: Flask) -> dict:
    instance = Path(app.instance_path)
    return {
        "ENV_NAME": "production",
        "DATABASE_URL": f"sqlite:///{instance / 'registre.db'}",
        "IDENTIFIER_KEY": None,
        "IDENTIFIER_KEY_FILE": None,
        "OPRF_KEY": None,
        "OPRF_KEY_FILE": None,
        "LOG_SIGNING_KEY": None,  # the transparency log's Ed25519 seed, "<key id>:<64 hex>"
        "LOG_SIGNING_KEY_FILE": None,
        "LOG_ORIGIN": None,  # the log's name in its checkpoints (portal.keys gives the default)
        "LOG_CHECKPOINT_INTERVAL": 1.0,  # at most one new checkpoint signature per this many seconds
        "LOG_RATE_LIMIT": "120 per minute",  # the public log's reads, per address
        "ALLOW_TEST_IDENTIFIERS": True,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(app.root_path).parent / "translations"),
        "LANGUAGES": ("fr", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "rno_session",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAIL_SMTP_URL": None,  # portal.mail: smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]
        "MAIL_FROM": None,
        "MAIL_TIMEOUT": 10,
        "CONTACT_KEY": None,  # seals contact reply addresses, "<key id>:<64 hex>" (registry.contact)
        "CONTACT_KEY_FILE": None,
    }


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(default_config(app))
    app.config.from_prefixed_env(ENV_PREFIX)
    if "DATABASE_URL" in os.environ and f"{ENV_PREFIX}_DATABASE_URL" not in os.environ:
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.from_mapping(test_config)
    environment = app.config["ENV_NAME"]
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"REGISTRE_ENV_NAME is {environment!r}; it must be one of {', '.join(ENVIRONMENTS)}")
    production = environment in ("production", "staging")
    app.config["PRODUCTION"] = production
    app.config["STAGING"] = environment == "staging"
    if production:
        missing = production_problems(app.config)
        if missing:
            raise ConfigurationError("production refuses to start: " + "; ".join(missing))
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["ALLOW_TEST_IDENTIFIERS"] = False
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    trust_proxies(app)


def production_problems(config) -> list[str]:
    """What production lacks, one line per setting (named as in the environment)."""
    from portal.help import CHANNEL_SETTINGS
    from portal.mail import mail_problems
    from portal.trust import TRUST_SETTINGS

    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("REGISTRE_SECRET_KEY is not set")
    unset = [f"REGISTRE_{name}" for name in (*TRUST_SETTINGS, *CHANNEL_SETTINGS) if not config.get(name)]
    if unset:
        problems.append("the legal notice and help channels are incomplete: " + ", ".join(unset) + " not set")
    if str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        problems.append("REGISTRE_RATELIMIT_STORAGE_URI is memory:// (each process would count alone): "
                        "set a shared storage such as redis://")
    if not str(config.get("JOBS_QUEUE_URL") or "").startswith(("redis://", "rediss://")):
        problems.append("REGISTRE_JOBS_QUEUE_URL is not a redis:// URL (a queue file would be seen by one "
                        "machine only): set the shared Redis")
    if trusted_proxies(config) is None:
        problems.append("REGISTRE_TRUSTED_PROXIES is not set: give the number of proxies in front "
                        "(0 when clients connect directly)")
    problems.extend(mail_problems(config))
    if not (config.get("CONTACT_KEY") or config.get("CONTACT_KEY_FILE")):
        problems.append("REGISTRE_CONTACT_KEY (or REGISTRE_CONTACT_KEY_FILE) is not set: the key that seals "
                        "contact reply addresses, '<key id>:<64 hex characters>'")
    return problems


def trusted_proxies(config) -> int | None:
    """How many proxies in front set ``X-Forwarded-For`` (None when unset or not a number >= 0)."""
    value = config.get("TRUSTED_PROXIES")
    if value is None or isinstance(value, bool):
        return None
    try:
        hops = int(value)
    except (TypeError, ValueError):
        return None
    return hops if hops >= 0 else None


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` proxies, read the client's address and scheme from the
    headers they set (and only from the last that many hops)."""
    hops = trusted_proxies(app.config)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _development_secret(instance: Path) -> str:
    """A session secret generated once for the embedded default, kept under instance/."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
