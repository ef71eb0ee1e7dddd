"""Warehouse onboarding: the public developer pages (guide and API reference, fr/en), access
requests (the public form, the back-office review, the one-time link that shows a client secret
once) and the sandbox mode of an instance (``REGISTRE_SANDBOX``).

The domain lives in ``registry.access_requests``; this package shows and wires it.
"""

from __future__ import annotations

from flask import Flask

DEFAULTS = {
    "SANDBOX": False,  # this instance is the sandbox: synthetic numbers only, no public log
    "SANDBOX_URL": None,  # where the sandbox is, shown on the production instance's pages
    "CLIENT_PACKAGE": "registre-opposition",  # what ``pip install`` takes for registre-check
    "ACCESS_REQUEST_RATE_LIMIT": "5 per hour",
    "ACCESS_REQUEST_RETENTION_DAYS": 365,
    "ACCESS_LINK_HOURS": 72,
}


def init_app(app: Flask) -> None:
    from portal.developers.views import bp
    from portal.pages import register_bilingual

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config["SANDBOX"] = str(app.config["SANDBOX"]).lower() in ("1", "true", "yes", "on")
    from portal.developers import access, sandbox  # noqa: F401  (access adds its views to the blueprint)
    from portal.staff.access_requests import bp as staff_bp

    register_bilingual(app, bp, url_prefix="/developpeurs")
    app.register_blueprint(staff_bp)
    sandbox.init_app(app)

    from portal.cli import registry_cli

    @registry_cli.command("purge-access-requests")
    def purge_access_requests_command() -> None:
        """Delete the decided access requests past their retention (pending ones stay)."""
        import click

        from registry.access_requests import purge_expired_requests
        from registry.db import unit_of_work

        from portal.database import db

        with unit_of_work(db.session()) as session:
            deleted = purge_expired_requests(session)
        click.echo(f"{deleted} expired access requests deleted.")
