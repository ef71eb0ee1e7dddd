"""``flask --app wsgi staff ...``: create accounts, unlock them, reset their TOTP.

Each command is a unit of work and is audited with the actor ``cli`` (the person at the server's
console). The password is asked twice without echo, never taken from the command line where
shell history would keep it.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from registry.staff import ROLES, StaffError, create_staff_account, reset_totp, unlock_account

from portal.database import db

staff_cli = AppGroup("staff", help="Staff accounts of the back-office.")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.password_option(help="Asked twice when not given; at least 12 characters.")
def create_command(email: str, role: str, password: str) -> None:
    """Create a staff account; the TOTP enrolment QR code is shown at its first sign-in."""
    session = db.session()
    try:
        account = create_staff_account(session, email, role, password, actor="cli")
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"Staff account {account.email} created with the role {role}; "
               "the TOTP enrolment QR code is shown at the first sign-in.")


@staff_cli.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Clear the failures and the lock of an account."""
    session = db.session()
    try:
        account = unlock_account(session, email, actor="cli")
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"Staff account {account.email} unlocked.")


@staff_cli.command("reset-totp")
@click.argument("email")
def reset_totp_command(email: str) -> None:
    """Give an account a new TOTP secret (lost phone); enrolment happens again at sign-in."""
    session = db.session()
    try:
        account = reset_totp(session, email, actor="cli")
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"TOTP of {account.email} reset; the next sign-in shows a new QR code.")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_cli)
