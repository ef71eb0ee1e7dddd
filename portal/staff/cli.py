"""``flask --app wsgi staff ...``: create accounts, reset their password or TOTP, unlock and
disable them.

Each command is a unit of work and is audited with the actor ``cli`` (the person at the server's
console). A password is asked twice without echo, never taken from the command line where shell
history would keep it. Resetting, unlocking and disabling end every session of the account.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from registry.db import unit_of_work
from registry.staff import (ROLES, StaffError, create_staff_account, disable_account, reset_password, reset_totp,
                            unlock_account)

from portal.database import db

staff_cli = AppGroup("staff", help="Staff accounts of the back-office.")


def _change(change, *args):
    """Run ``change(session, *args, actor="cli")`` as one unit of work; a refusal is a one-line
    error naming what to fix, never a traceback (which could show what was being written)."""
    try:
        with unit_of_work(db.session()) as session:
            return change(session, *args, actor="cli")
    except StaffError as error:
        raise click.ClickException(str(error)) from None


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.password_option(help="Asked twice when not given; at least 12 characters.")
def create_command(email: str, role: str, password: str) -> None:
    """Create a staff account; the TOTP enrolment QR code is shown at its first sign-in."""
    account = _change(create_staff_account, email, role, password)
    click.echo(f"Staff account {account.email} created with the role {role}; "
               "the TOTP enrolment QR code is shown at the first sign-in.")


@staff_cli.command("reset-password")
@click.argument("email")
@click.password_option(help="Asked twice when not given; at least 12 characters.")
def reset_password_command(email: str, password: str) -> None:
    """Give an account a new password; every session of the account ends."""
    account = _change(reset_password, email, password)
    click.echo(f"Password of {account.email} reset; its open sessions are ended.")


@staff_cli.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Clear the failures and the lock of an account; its open sessions end."""
    account = _change(unlock_account, email)
    click.echo(f"Staff account {account.email} unlocked.")


@staff_cli.command("reset-totp")
@click.argument("email")
def reset_totp_command(email: str) -> None:
    """Give an account a new TOTP secret (lost phone); enrolment happens again at sign-in."""
    account = _change(reset_totp, email)
    click.echo(f"TOTP of {account.email} reset; the next sign-in shows a new QR code.")


@staff_cli.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Close an account for good; it can no longer sign in and its open sessions end."""
    account = _change(disable_account, email)
    click.echo(f"Staff account {account.email} disabled; its open sessions are ended.")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_cli)
