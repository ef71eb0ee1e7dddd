"""``flask --app wsgi registry ...``: schema migrations, demo content, audit verification.

Each command is a unit of work: it opens a session, calls the registry's services and commits.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from campaigns.demo import seed_demo_campaigns
from registry.audit import verify_chain
from registry.checkpoints import sign_current
from registry.daily_filings import paris_day
from registry.log_checks import verify_log
from registry.log_tree import tree_size
from registry.db import unit_of_work, upgrade_database
from registry.models import utcnow
from registry.session_store import purge_expired_sessions
from registry.statistics_demo import seed_synthetic_history

from portal.database import db
from portal.demo import seed_demo_content
from portal.keys import log_signer

registry_cli = AppGroup("registry", help="Registry administration.")


@registry_cli.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the latest migration."""
    upgrade_database(db.engine())
    click.echo("Database schema is up to date.")


@registry_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Add the demo content (idempotent); refused in production."""
    from flask import current_app

    if current_app.config["PRODUCTION"]:
        raise click.ClickException("demo content is never loaded in production")
    with unit_of_work(db.session()) as session:
        created = seed_demo_content(session)
        campaigns = seed_demo_campaigns(session)
        history = seed_synthetic_history(session, paris_day(utcnow()))
    click.echo(f"Demo content ready ({created} new oppositions, {campaigns} new campaigns, "
               f"{history} made-up oppositions in the statistics' synthetic history).")


@registry_cli.command("purge-sessions")
def purge_sessions_command() -> None:
    """Delete the sessions past their expiry from the database store (daily; Redis expires its own)."""
    with unit_of_work(db.session()) as session:
        removed = purge_expired_sessions(session)
    click.echo(f"Purged {removed} expired sessions.")


@registry_cli.command("verify-audit")
def verify_audit_command() -> None:
    """Check the whole audit chain, then the transparency log against it (one leaf per event,
    its levels, every kept checkpoint); exit non-zero naming the first problem."""
    session = db.session()
    report = verify_chain(session)
    if not report.ok:
        click.echo(
            f"BROKEN at audit event {report.broken_seq}: {report.reason} "
            f"({report.count} events verified before it).",
            err=True,
        )
        raise SystemExit(1)
    log = verify_log(session, log_signer())
    if not log.ok:
        click.echo(f"BROKEN transparency log: {log.problem}.", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.count} audit events, chain intact; the transparency log holds one leaf per event "
               f"and agrees with its {log.checkpoints} signed checkpoints.")


@registry_cli.command("sign-checkpoint")
def sign_checkpoint_command() -> None:
    """Sign a checkpoint of the log as it is now (a timer can run this; readers also get one on demand)."""
    session = db.session()
    with unit_of_work(session):
        checkpoint = sign_current(session, log_signer(), needed=tree_size(session))
        size = checkpoint.size
    click.echo(f"Checkpoint of {size} entries.")


def init_app(app: Flask) -> None:
    from portal.api.cli import COMMANDS

    for command in COMMANDS:
        registry_cli.add_command(command)
    app.cli.add_command(registry_cli)
