"""The task queue behind cohort jobs: Huey, with its own SQLite file on the embedded default
(``instance/jobs-queue.db``) or Redis when ``JOBS_QUEUE_URL`` is a ``redis://`` URL (the service
scaled out over several machines). Job state lives in the database; the queue only carries job
ids, so a lost queue entry is recovered by ``enqueue_resumable_jobs`` when a worker starts.

``flask --app wsgi registry jobs-worker`` runs the consumer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab

from registry.db import unit_of_work
from registry.jobs import discard_finished_inputs, purge_expired_jobs, resumable_job_ids, run_job

from portal.database import db
from portal.keys import keyring
from portal.operations.metrics import count_job_runs


def make_huey(app: Flask):
    url = app.config.get("JOBS_QUEUE_URL")
    if url and url.startswith("redis"):
        return RedisHuey("registre-jobs", url=url, results=False)
    path = Path(url.removeprefix("sqlite:///")) if url else Path(app.instance_path) / "jobs-queue.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("registre-jobs", filename=str(path), results=False)


def jobs_root(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("JOBS_FOLDER") or Path(app.instance_path) / "jobs")


def init_app(app: Flask) -> None:
    """Nothing is opened here: the queue is built on first use (the factory does wiring only)."""
    app.extensions["huey"] = None


def get_queue(app: Flask | None = None):
    """The app's Huey instance with its tasks, built once."""
    app = app or current_app._get_current_object()
    if app.extensions.get("huey") is None:
        _build_queue(app)
    return app.extensions["huey"]


def _build_queue(app: Flask) -> None:
    huey = make_huey(app)

    @huey.task(name="run_lookup_job")
    @count_job_runs(app)  # lines checked and jobs finished, in the node's metrics
    def run_lookup_job(job_id: int) -> None:
        with app.app_context():
            outcome = run_job(app.extensions["database"], keyring(), job_id, jobs_root(app),
                              processes=int(app.config["JOBS_PROCESSES"]),
                              allow_test_identifiers=bool(app.config["ALLOW_TEST_IDENTIFIERS"]),
                              lease=dt.timedelta(seconds=float(app.config["JOBS_LEASE_SECONDS"])))
        if outcome.retry_in is not None:  # held by a worker that may be alive: look again later
            run_lookup_job.schedule((job_id,), delay=int(outcome.retry_in.total_seconds()) + 1)

    @huey.periodic_task(crontab(minute="7"), name="purge_expired_jobs")
    def purge_jobs() -> None:
        with app.app_context():
            with unit_of_work(db.session()) as session:
                purge_expired_jobs(session, jobs_root(app))

    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = {"run_lookup_job": run_lookup_job}


# The consumer polls an idle queue less and less often, by default up to every 10 s: a job sent
# to an idle worker waited that long before it started. Every 0.1 s here: an idle worker then
# uses 0.35 % of a core (0.25 % when it polled every 0.5 s), and a job waits 0.05 s on average
# before it starts, instead of 0.25 s. A Redis queue is not polled:
# its consumer blocks on the list until a job comes.
CONSUMER_DELAYS = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.1}


def enqueue_job(job_id: int) -> None:
    get_queue()
    current_app.extensions["huey_tasks"]["run_lookup_job"](job_id)


def enqueue_resumable_jobs() -> int:
    """Put back on the queue every job that was queued or interrupted (at a worker's start), and
    delete any upload a finished job left behind (a worker stopped just after the job's end)."""
    session = db.session()
    discard_finished_inputs(session, jobs_root())
    ids = resumable_job_ids(session)
    for job_id in ids:
        enqueue_job(job_id)
    return len(ids)


def retention() -> dt.timedelta:
    return dt.timedelta(days=float(current_app.config["JOBS_RETENTION_DAYS"]))
