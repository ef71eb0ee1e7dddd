"""``flask --app wsgi registry purge-contact-messages``: delete contact messages past their
retention (run it daily from the scheduler; deliveries also purge on their way)."""

from __future__ import annotations

import click

from registry.contact import purge_expired_messages
from registry.db import unit_of_work

from portal.cli import registry_cli
from portal.database import db


@registry_cli.command("purge-contact-messages")
def purge_contact_messages_command() -> None:
    """Delete the contact messages whose retention has ended."""
    with unit_of_work(db.session()) as session:
        deleted = purge_expired_messages(session)
    click.echo(f"{deleted} expired contact messages deleted.")
