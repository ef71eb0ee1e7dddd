"""``flask --app wsgi campaigns purge``: drop reach and filing aggregates older than 25 months.

Run daily by the scheduled job in ``deploy/systemd/`` (or any cron); running it twice is harmless.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from campaigns.purge import RETENTION_MONTHS, purge_old_aggregates

from registry.db import unit_of_work

from portal.campaigns.counting import today
from portal.database import db

campaigns_cli = AppGroup("campaigns", help="Awareness campaigns.")


@campaigns_cli.command("purge")
def purge_command() -> None:
    """Delete the campaign and filing counters older than the retention period."""
    with unit_of_work(db.session()) as session:
        removed = purge_old_aggregates(session, today())
    click.echo(f"Purged {removed} aggregate rows older than {RETENTION_MONTHS} months.")


def init_app(app: Flask) -> None:
    app.cli.add_command(campaigns_cli)
