"""The web layer: the only package that imports Flask."""

from __future__ import annotations

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints. No network and no database work."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("REGISTRE_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)

    from portal import config

    config.load_config(app, test_config)

    from portal import (api, assets, auth, campaigns, citizen, cli, converters, easyread, errors, extensions, help,
                        keys, learning, log_privacy, mydata, operations, pages, security, sessions, staff,
                        statistics, trust)
    from portal.database import db

    converters.init_app(app)  # before any route is added
    extensions.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    keys.init_app(app)
    db.init_app(app)
    sessions.init_app(app)
    pages.init_app(app)
    auth.init_app(app)
    citizen.init_app(app)
    api.init_app(app)
    trust.init_app(app)
    help.init_app(app)
    easyread.init_app(app)
    mydata.init_app(app)
    cli.init_app(app)
    log_privacy.init_app(app)
    staff.init_app(app)
    statistics.init_app(app)
    from portal import fhir, permits

    permits.init_app(app)
    fhir.init_app(app)
    from portal import developers

    developers.init_app(app)
    learning.init_app(app)
    campaigns.init_app(app)
    operations.init_app(app)  # after the blueprints and session wiring: it wraps the WSGI app
    errors.init_app(app)  # last: the error pages see every blueprint
    return app
