"""Warehouse client and job administration: ``flask --app wsgi registry create-warehouse ...``.

Each command is a unit of work: it calls the registry's services and commits. Secrets are
printed once, never logged or stored in clear.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from registry.db import unit_of_work
from registry.errors import RegistryError
from registry.jobs import purge_expired_jobs
from registry.warehouses import DEFAULT_SCOPE, create_warehouse, disable_warehouse, rotate_secret

from portal.database import db


def _credentials_out(credentials, as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps({"client_id": credentials.client_id, "client_secret": credentials.client_secret}))
    else:
        click.echo(f"{verb}. Keep the secret now: it is not shown again.")
        click.echo(f"client_id:     {credentials.client_id}")
        click.echo(f"client_secret: {credentials.client_secret}")


def _commit_or_fail(action):
    """Run ``action(session)`` as one unit of work; a refusal is a one-line error, never a traceback."""
    try:
        with unit_of_work(db.session()) as session:
            return action(session)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None


@click.command("create-warehouse")
@click.argument("name")
@click.option("--scope", default=DEFAULT_SCOPE, show_default=True, help="space-separated: lookup, jobs")
@click.option("--json", "as_json", is_flag=True, help="print {client_id, client_secret} as JSON")
@with_appcontext
def create_warehouse_command(name: str, scope: str, as_json: bool) -> None:
    """Register a warehouse API client and print its credentials once."""
    credentials = _commit_or_fail(lambda s: create_warehouse(s, name, scope=scope))
    _credentials_out(credentials, as_json, f"Warehouse {name!r} created")


@click.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def rotate_secret_command(client_id: str, as_json: bool) -> None:
    """Give a warehouse a new secret; the old one and its live tokens stop working."""
    credentials = _commit_or_fail(lambda s: rotate_secret(s, client_id))
    _credentials_out(credentials, as_json, "Secret rotated")


@click.command("disable")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def disable_command(client_id: str, as_json: bool) -> None:
    """Disable a warehouse client: its secret and live tokens are refused from now on."""
    warehouse = _commit_or_fail(lambda s: disable_warehouse(s, client_id))
    if as_json:
        click.echo(json.dumps({"client_id": client_id, "disabled_at": warehouse.disabled_at.isoformat()}))
    else:
        click.echo(f"Warehouse {client_id} disabled.")


@click.command("purge-jobs")
@with_appcontext
def purge_jobs_command() -> None:
    """Delete the files of cohort jobs past their retention period."""
    from portal.api.queue import jobs_root

    count = _commit_or_fail(lambda s: purge_expired_jobs(s, jobs_root()))
    click.echo(f"{count} expired jobs purged.")


@click.command("jobs-worker")
@click.option("--workers", default=2, show_default=True)
@click.option("--metrics-port", type=int, default=None, help="serve Prometheus metrics on 127.0.0.1:PORT")
@with_appcontext
def jobs_worker_command(workers: int, metrics_port: int | None) -> None:
    """Run the cohort-job consumer (Huey), after queueing again the jobs a stop interrupted."""
    from flask import current_app

    from portal.api import warm_up
    from portal.api.queue import CONSUMER_DELAYS, enqueue_resumable_jobs, get_queue
    from portal.operations.metrics import serve_metrics

    if metrics_port:
        serve_metrics(current_app._get_current_object(), metrics_port)

    # the membership index is loaded (or mapped) once here, not by the first job, which would
    # wait for it: a full load takes seconds at millions of oppositions
    warm_up(current_app._get_current_object())
    with unit_of_work(db.session()):
        resumed = enqueue_resumable_jobs()
    click.echo(f"{resumed} queued or interrupted jobs put back on the queue.")
    huey = get_queue()
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True, **CONSUMER_DELAYS).run()


@click.command("declare-cohort")
@click.argument("client_id")
@click.argument("cohort_size", type=int)
@with_appcontext
def declare_cohort_command(client_id: str, cohort_size: int) -> None:
    """Set a warehouse's declared cohort size, from which its private-lookup allowance follows."""
    from registry.private_quota import DAILY_FACTOR, TOTAL_FACTOR, declare_cohort
    from registry.warehouses import get_warehouse

    _commit_or_fail(lambda s: declare_cohort(s, get_warehouse(s, client_id).id, cohort_size, actor="admin"))
    click.echo(f"Declared cohort: {cohort_size}; private lookups allowed: {cohort_size * DAILY_FACTOR} a day, "
               f"{cohort_size * TOTAL_FACTOR} in total.")


COMMANDS = (create_warehouse_command, declare_cohort_command, rotate_secret_command, disable_command, purge_jobs_command, jobs_worker_command)
