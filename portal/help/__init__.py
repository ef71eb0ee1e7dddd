"""Help for people who need it: questions people ask, the other ways to file (phone, counter,
post, with a printable form), and a contact form whose messages reach staff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, current_app

from registry.contact import AddressSealer, DatabaseInbox
from registry.keys import KeyConfigurationError, development_key, load_key, require_production_key

from portal.config import ConfigurationError
from portal.pages import register_bilingual

#: Facts about the offline channels, shown as "to be completed" until configured.
CHANNEL_SETTINGS = ("PHONE_NUMBER", "PHONE_HOURS", "POSTAL_ADDRESS", "COUNTERS")


def init_app(app: Flask) -> None:
    from portal.help.views import bp

    for name in CHANNEL_SETTINGS:
        app.config.setdefault(name, None)
    app.config.setdefault("CONTACT_RETENTION_DAYS", 180)
    app.config.setdefault("CONTACT_RATE_LIMIT", "5 per hour")
    sealer = app.extensions.setdefault("contact_sealer", AddressSealer(_contact_key(app)))
    app.extensions.setdefault("contact_inbox", DatabaseInbox(dt.timedelta(days=int(app.config["CONTACT_RETENTION_DAYS"])), sealer))
    register_bilingual(app, bp, url_prefix="/aide")
    from portal.help import cli  # noqa: F401  (adds its command to the registry group)


def _contact_key(app: Flask):
    """The key sealing reply addresses: configured in production (never a development key),
    generated once under instance/keys elsewhere."""
    config = app.config
    try:
        key = load_key(name="CONTACT_KEY", value=config.get("CONTACT_KEY"), path=config.get("CONTACT_KEY_FILE"))
        if config["PRODUCTION"]:
            return require_production_key(key, name="CONTACT_KEY")
        return key or development_key(Path(app.instance_path) / "keys", "contact")
    except KeyConfigurationError as exc:
        raise ConfigurationError(str(exc)) from None


def contact_sealer() -> AddressSealer:
    """What seals and opens the reply addresses of contact messages."""
    return current_app.extensions["contact_sealer"]
