"""Help for people who need it: questions people ask, the other ways to file (phone, counter,
post, with a printable form), and a contact form whose messages reach staff."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from registry.contact import DatabaseInbox

from portal.pages import register_bilingual

#: Facts about the offline channels, shown as "to be completed" until configured.
CHANNEL_SETTINGS = ("PHONE_NUMBER", "PHONE_HOURS", "POSTAL_ADDRESS", "COUNTERS")


def init_app(app: Flask) -> None:
    from portal.help.views import bp

    for name in CHANNEL_SETTINGS:
        app.config.setdefault(name, None)
    app.config.setdefault("CONTACT_RETENTION_DAYS", 180)
    app.config.setdefault("CONTACT_RATE_LIMIT", "5 per hour")
    app.extensions.setdefault("contact_inbox", DatabaseInbox(dt.timedelta(days=int(app.config["CONTACT_RETENTION_DAYS"]))))
    register_bilingual(app, bp, url_prefix="/aide")
    from portal.help import cli  # noqa: F401  (adds its command to the registry group)
