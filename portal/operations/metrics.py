"""Prometheus metrics of an app node, at ``GET /metrics`` (text exposition format).

What is measured: HTTP requests by route, method and status, and their latency by route; the
requests in progress; lookups and the identifiers they checked; cohort job lines checked and jobs
finished; the database pools (connections checked out, pool size, overflow), read when scraped.

No label ever holds an identifier or a raw path: ``route`` is the URL rule that matched
(``/api/v1/jobs/<job_id>``, never the job's id) or ``<unmatched>``, ``method`` one of the
standard methods or ``other``, ``status`` the three digits. The counts are aggregates; none of
them says which identifier was checked.

gunicorn serves with several worker processes. When ``PROMETHEUS_MULTIPROC_DIR`` names a
directory (set in the environment before the process starts, emptied at each start of the
node, and shared with the cohort jobs' worker to count its jobs), each process writes its
values there and ``/metrics`` sums them over every process (``MultiProcessCollector``);
gunicorn's ``child_exit`` hook (``gunicorn.conf.py``) drops a dead worker's live gauges. The
pool gauges are the answering worker's own pools. Without it (tests, ``./run``), one process
and the default registry.

``/metrics`` answers only when ``METRICS_ENABLED`` is true (the default; 404 otherwise). It
tells the load, so it is for the operators' network: in production the public reverse proxy
does not forward ``/metrics`` (nor ``/livez``, ``/readyz``), and Prometheus scrapes each node
directly.
"""

from __future__ import annotations

import functools
import os
import time

from flask import Flask, Response, abort, current_app, request, request_finished, request_started
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import select

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
_STARTED = "registre.metrics.started"  # the request's start, kept in its WSGI environ

REQUESTS = Counter("registre_http_requests", "HTTP requests answered, by route, method and status.",
                   ("route", "method", "status"))
LATENCY = Histogram("registre_http_request_duration_seconds",
                    "Time from the start of the request's handling to its response, by route.", ("route",))
IN_PROGRESS = Gauge("registre_http_requests_in_progress", "Requests being handled.",
                    multiprocess_mode="livesum")
LOOKUPS = Counter("registre_lookups", "Lookup API calls answered.")
IDENTIFIERS = Counter("registre_lookup_identifiers", "Identifiers checked by lookup API calls.")
OPPOSED = Counter("registre_lookup_identifiers_opposed", "Identifiers found opposed by lookup API calls.")
JOB_LINES = Counter("registre_job_lines_checked", "Lines of cohort jobs checked.")
JOBS_FINISHED = Counter("registre_jobs_finished", "Cohort jobs finished, by outcome (done or failed).",
                        ("status",))


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def route_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def method_label() -> str:
    return request.method if request.method in METHODS else "other"


def _request_started(_sender, **_extra) -> None:
    request.environ[_STARTED] = time.perf_counter()
    IN_PROGRESS.inc()


def _request_finished(_sender, response, **_extra) -> None:
    started = request.environ.pop(_STARTED, None)
    if started is None:
        return
    IN_PROGRESS.dec()
    route = route_label()
    REQUESTS.labels(route, method_label(), str(response.status_code)).inc()
    LATENCY.labels(route).observe(time.perf_counter() - started)


def _request_torn_down(_error) -> None:
    """A request that ended without a response (an error in an error handler) is no longer in
    progress."""
    if request.environ.pop(_STARTED, None) is not None:
        IN_PROGRESS.dec()


def count_lookup(identifiers: int, opposed: int) -> None:
    """Count a lookup call that was answered: how many identifiers it checked, how many opposed."""
    LOOKUPS.inc()
    IDENTIFIERS.inc(identifiers)
    OPPOSED.inc(opposed)


FINISHED = ("done", "failed")


def _job_progress(app: Flask, job_id: int) -> tuple[str, int] | None:
    """The job's status and lines done, or None when they cannot be read (metrics never stop a job)."""
    from registry.jobs import LookupJob

    try:
        with app.extensions["database"]() as session:
            row = session.execute(select(LookupJob.status, LookupJob.lines_done)
                                  .where(LookupJob.id == job_id)).one_or_none()
    except Exception as error:
        app.logger.warning("job metrics: progress not read (%s)", type(error).__name__)
        return None
    return (row.status, row.lines_done) if row is not None else None


def count_job_runs(app: Flask):
    """Decorate the queue's task that runs a job: count the lines this run checked, and the job
    when this run finished it (a task delivered again after the end counts nothing)."""

    def decorate(run):
        @functools.wraps(run)
        def counted(job_id: int, *args, **kwargs):
            before = _job_progress(app, job_id)
            try:
                return run(job_id, *args, **kwargs)
            finally:
                after = _job_progress(app, job_id) if before is not None else None
                if after is not None:
                    JOB_LINES.inc(max(0, after[1] - before[1]))
                    if after[0] in FINISHED and before[0] not in FINISHED:
                        JOBS_FINISHED.labels(after[0]).inc()

        return counted

    return decorate


class DatabasePools:
    """The app's connection pools as gauges, read at each scrape: connections checked out, the
    pool's size and its overflow, for the main engine and the API readers' engine."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def engines(self):
        from portal.database import db

        main = db.engine(self.app)
        readers = db.readers(self.app).engine
        return (("main", main),) if readers is main else (("main", main), ("readers", readers))

    def collect(self):
        checked_out = GaugeMetricFamily("registre_db_pool_checked_out", "Connections in use.", labels=("engine",))
        size = GaugeMetricFamily("registre_db_pool_size", "Connections the pool keeps.", labels=("engine",))
        overflow = GaugeMetricFamily("registre_db_pool_overflow", "Connections open beyond the pool's size.",
                                     labels=("engine",))
        for name, engine in self.engines():
            pool = engine.pool
            for family, reading in ((checked_out, "checkedout"), (size, "size"), (overflow, "overflow")):
                read = getattr(pool, reading, None)
                if callable(read):  # SQLite's pools (one connection per thread) have no size
                    family.add_metric((name,), max(0, read()))
        yield from (checked_out, size, overflow)


class _Together:
    """Several collectors read as one, for ``generate_latest``."""

    def __init__(self, *collectors) -> None:
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def exposition(app: Flask) -> bytes:
    if multiprocess_mode():
        from prometheus_client import multiprocess

        every_process = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_process)
        return generate_latest(_Together(every_process, DatabasePools(app)))
    return generate_latest(_Together(REGISTRY, DatabasePools(app)))


def serve_metrics(app: Flask, port: int, address: str = "127.0.0.1") -> None:
    """Serve the same exposition on ``address:port`` from a thread: the job worker, which has no
    web server of its own (``flask registry jobs-worker --metrics-port``)."""
    from prometheus_client import start_http_server

    if multiprocess_mode():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    start_http_server(port, addr=address, registry=registry)


def metrics_view():
    if not current_app.config["METRICS_ENABLED"]:
        abort(404)
    response = Response(exposition(current_app._get_current_object()), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    request_started.connect(_request_started, app)
    request_finished.connect(_request_finished, app)
    app.teardown_request(_request_torn_down)
