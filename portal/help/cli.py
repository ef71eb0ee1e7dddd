"""``flask --app wsgi registry purge-contact-messages``: delete the handled contact messages past
their retention, and seal any reply address still kept in clear (run it daily from the
scheduler; deliveries also do both on their way)."""

from __future__ import annotations

import click

from registry.contact import purge_expired_messages, seal_plain_addresses
from registry.db import unit_of_work

from portal.cli import registry_cli
from portal.database import db
from portal.help import contact_sealer


@registry_cli.command("purge-contact-messages")
def purge_contact_messages_command() -> None:
    """Delete the handled contact messages whose retention has ended (unhandled ones stay)."""
    with unit_of_work(db.session()) as session:
        deleted = purge_expired_messages(session)
        sealed = seal_plain_addresses(session, contact_sealer())
    click.echo(f"{deleted} expired contact messages deleted.")
    if sealed:
        click.echo(f"{sealed} reply addresses kept in clear are now sealed.")
