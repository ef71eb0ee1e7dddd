"""Awareness campaigns on the web: public landing pages, vanity links, the campaign-manager
pages with the reach dashboard, and the commands.

Settings: ``CAMPAIGN_UNIQUE_VISITORS`` (off by default) turns on daily unique visitors counted
from an in-memory salt that lasts one day; ``CAMPAIGN_PUBLIC_URL`` (e.g.
``https://registre.sante.gouv.fr``) is the site printed in vanity links and QR codes.
"""

from __future__ import annotations

from flask import Flask

from campaigns.reach import UniqueVisitors


def init_app(app: Flask) -> None:
    from portal.campaigns import cli, manager, public
    from portal.pages import register_bilingual

    app.config.setdefault("CAMPAIGN_UNIQUE_VISITORS", False)
    app.config.setdefault("CAMPAIGN_PUBLIC_URL", None)
    app.extensions["campaign_unique_visitors"] = UniqueVisitors()
    register_bilingual(app, public.bp)
    app.register_blueprint(public.vanity)
    app.register_blueprint(manager.bp)
    cli.init_app(app)
