"""Permit administration from the command line: ``flask --app wsgi registry permits ...``.

Each command is a unit of work through ``registry.permits``, audited as ``cli`` (the back-office
pages do the same as the signed-in administrator). A refusal is one line naming the option to
correct, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json

import click
from flask.cli import AppGroup

from registry.db import unit_of_work
from registry.errors import RegistryError
from registry.permits import (PermitDetails, PermitError, change_permit, create_permit, get_permit, holder_client_ids,
                              list_permits)
from registry.purposes import Purpose, purpose_from_code

from portal.database import db

permits_cli = AppGroup("permits", help="Data permits (EHDS art. 68) and their exceptions.")
PURPOSES = [p.code for p in Purpose]
OPTION_OF = {"reference": "REFERENCE", "title": "--title", "issuing_body": "--issuing-body", "purposes": "--purpose",
             "starts_on": "--starts", "ends_on": "--ends", "url": "--url", "holders": "--holder",
             "exception_basis": "--exception-basis", "exception_reference": "--exception-reference"}


def _options(required: bool):
    def decorate(command):
        for option in reversed([
            click.option("--title", required=required, help="the project's title"),
            click.option("--issuing-body", required=required, help="e.g. Health Data Hub, CNIL"),
            click.option("--purpose", "purposes", multiple=True, type=click.Choice(PURPOSES), required=required,
                         help="a purpose the permit covers (repeat for several)"),
            click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), required=required, help="YYYY-MM-DD"),
            click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), required=required, help="YYYY-MM-DD"),
            click.option("--url", required=required, help="the permit's public page (https://)"),
            click.option("--holder", "holders", multiple=True, required=required,
                         help="the client id of a warehouse holding it (repeat for several)"),
            click.option("--exception-basis", help="legal basis of a public-interest exception (art. 71(4))"),
            click.option("--exception-reference", help="reference of the decision making the exception"),
        ]):
            command = option(command)
        return command
    return decorate


def _run(action):
    try:
        with unit_of_work(db.session()) as session:
            return action(session)
    except PermitError as error:
        raise click.ClickException(f"{OPTION_OF.get(error.field, error.field)}: {error}") from None
    except RegistryError as error:
        raise click.ClickException(str(error)) from None


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _as_dict(session, permit) -> dict:
    return {"reference": permit.reference, "title": permit.title, "issuing_body": permit.issuing_body,
            "purposes": [p.code for p in permit.purposes], "starts_on": permit.starts_on.isoformat(),
            "ends_on": permit.ends_on.isoformat(), "url": permit.url, "holders": holder_client_ids(session, permit.id),
            "exception_basis": permit.exception_basis, "exception_reference": permit.exception_reference}


@permits_cli.command("create")
@click.argument("reference")
@_options(required=True)
def create_command(reference, title, issuing_body, purposes, starts, ends, url, holders, exception_basis,
                   exception_reference) -> None:
    """Register a data permit."""
    details = PermitDetails(reference, title, issuing_body, tuple(map(purpose_from_code, purposes)), _date(starts),
                            _date(ends), url, tuple(holders), exception_basis, exception_reference)
    _run(lambda session: create_permit(session, details, actor="cli"))
    click.echo(f"Permit {reference} created.")


@permits_cli.command("change")
@click.argument("reference")
@_options(required=False)
@click.option("--no-exception", is_flag=True, help="remove the permit's exception")
def change_command(reference, title, issuing_body, purposes, starts, ends, url, holders, exception_basis,
                   exception_reference, no_exception) -> None:
    """Change a data permit: the options given replace what it said, the others stay."""
    def change(session):
        current = _as_dict(session, get_permit(session, reference))
        details = PermitDetails(
            reference, title or current["title"], issuing_body or current["issuing_body"],
            tuple(map(purpose_from_code, purposes or current["purposes"])),
            _date(starts) or dt.date.fromisoformat(current["starts_on"]),
            _date(ends) or dt.date.fromisoformat(current["ends_on"]), url or current["url"],
            tuple(holders or current["holders"]),
            None if no_exception else exception_basis or current["exception_basis"],
            None if no_exception else exception_reference or current["exception_reference"])
        return change_permit(session, reference, details, actor="cli")

    _run(change)
    click.echo(f"Permit {reference} changed.")


@permits_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON array")
def list_command(as_json: bool) -> None:
    """Every permit, latest start first."""
    session = db.session()
    permits = [_as_dict(session, permit) for permit in list_permits(session)]
    if as_json:
        click.echo(json.dumps(permits, ensure_ascii=False))
        return
    for permit in permits:
        exception = f" EXCEPTION {permit['exception_reference']}" if permit["exception_reference"] else ""
        click.echo(f"{permit['reference']}\t{permit['starts_on']}..{permit['ends_on']}\t"
                   f"{','.join(permit['purposes'])}\t{permit['title']}{exception}")
