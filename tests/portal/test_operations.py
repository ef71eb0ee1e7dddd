"""The operations surface of a node: Prometheus metrics (one process, and summed over gunicorn's
workers), JSON log lines with no address and no query string, and the liveness and readiness
probes (ready only on a reachable database at the migrations' head)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import requests
from alembic.script import ScriptDirectory
from flask import current_app
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text
from werkzeug.serving import make_server

from portal import create_app
from portal.database import db
from portal.operations.json_logs import JsonHandler
from registry.db import alembic_config, create_database_engine
from registry.jobs import LookupJob
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.gunicorn_server import Gunicorn
from tests.oidc_provider import free_port
from tests.portal.api.conftest import api_app, auth, live, warehouse  # noqa: F401  (shared fixtures)
from tests.portal.api.test_jobs import cohort_file, upload
from tests.portal.api.test_lookup import FREE, OPPOSED, file, lookup

JOB_ID = "0b7e1c8e-4a55-4d2f-9c3e-7f1f2d6a9b10"


def metric_samples(exposition: str) -> list:
    return [sample for family in text_string_to_metric_families(exposition) for sample in family.samples]


def value(exposition: str, name: str, **labels) -> float:
    """The sample ``name`` with exactly these labels (0 when absent)."""
    return sum(s.value for s in metric_samples(exposition) if s.name == name and s.labels == labels)


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_metrics_count_requests_by_route_and_status_never_by_path(client):
    before = scrape(client)
    assert client.get("/api/v1/jobs/" + JOB_ID).status_code == 401
    assert client.get("/no-such-page/" + OPPOSED).status_code == 404
    assert client.get("/api/v1/purposes").status_code == 200
    after = scrape(client)

    def counted(route, method, status):
        labels = {"route": route, "method": method, "status": status}
        return value(after, "registre_http_requests_total", **labels) - value(
            before, "registre_http_requests_total", **labels)

    assert counted("/api/v1/jobs/<job_id>", "GET", "401") == 1
    assert counted("<unmatched>", "GET", "404") == 1
    assert counted("/api/v1/purposes", "GET", "200") == 1
    assert value(after, "registre_http_request_duration_seconds_count", route="/api/v1/purposes") >= 1
    assert value(after, "registre_http_request_duration_seconds_bucket", route="/api/v1/purposes", le="+Inf") >= 1
    labels = {v for s in metric_samples(after) for v in s.labels.values()}
    assert not any(JOB_ID in v or OPPOSED in v or "no-such-page" in v for v in labels)
    assert OPPOSED not in after and JOB_ID not in after


def test_a_method_outside_the_standard_ones_is_labelled_other(client):
    before = scrape(client)
    client.open("/api/v1/purposes", method="BREW")
    after = scrape(client)
    labels = {"route": "<unmatched>", "method": "other", "status": "405"}
    assert value(after, "registre_http_requests_total", **labels) - value(
        before, "registre_http_requests_total", **labels) == 1
    assert "BREW" not in after


def test_a_lookup_counts_its_identifiers_and_those_opposed_and_no_identifier_shows(live, auth, database_url):
    file(database_url, OPPOSED)
    before = requests.get(live.url + "/metrics", timeout=30).text
    response = lookup(live, auth, {"purpose": "research", "identifiers": [OPPOSED, FREE, "not a number"]})
    assert response.status_code == 200
    after = requests.get(live.url + "/metrics", timeout=30).text

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("registre_lookups_total") == 1
    assert grew("registre_lookup_identifiers_total") == 3
    assert grew("registre_lookup_identifiers_opposed_total") == 1
    assert grew("registre_http_requests_total", route="/api/v1/lookup", method="POST", status="200") == 1
    assert grew("registre_http_request_duration_seconds_count", route="/api/v1/lookup") == 1
    assert OPPOSED not in after and FREE not in after


def test_a_job_counts_its_lines_once_and_a_task_delivered_again_counts_nothing(live, auth, database_url):
    from portal.api.queue import enqueue_job

    before = requests.get(live.url + "/metrics", timeout=30).text
    created = upload(live, auth, cohort_file())
    assert created.status_code == 202
    assert live.drain_jobs() == 1
    done = requests.get(live.url + "/metrics", timeout=30).text
    assert value(done, "registre_job_lines_checked_total") - value(before, "registre_job_lines_checked_total") == 31
    assert value(done, "registre_jobs_finished_total", status="done") - value(
        before, "registre_jobs_finished_total", status="done") == 1

    with live.app.app_context():
        job_id = db.session().scalar(select(LookupJob.id).where(LookupJob.public_id == created.json()["id"]))
        enqueue_job(job_id)
    assert live.drain_jobs() == 1
    again = requests.get(live.url + "/metrics", timeout=30).text
    assert value(again, "registre_job_lines_checked_total") == value(done, "registre_job_lines_checked_total")
    assert value(again, "registre_jobs_finished_total", status="done") == value(
        done, "registre_jobs_finished_total", status="done")


def test_the_database_pools_are_read_at_each_scrape(app, client, db_engine_name):
    exposition = scrape(client)
    engines = {"main", "readers"} if db_engine_name == "postgresql" else {"main"}
    assert {s.labels["engine"] for s in metric_samples(exposition) if s.name == "registre_db_pool_size"} == engines
    with app.app_context():
        with db.engine(app).connect():
            held = scrape(app.test_client())
    assert value(held, "registre_db_pool_checked_out", engine="main") == value(
        exposition, "registre_db_pool_checked_out", engine="main") + 1


def test_metrics_are_plain_text_with_the_security_headers_and_no_cookie(client):
    response = client.get("/metrics", headers={"Cookie": "rno_session=" + "a" * 43})
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=0.0.4" in response.content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    assert list(text_string_to_metric_families(response.get_data(as_text=True)))


def test_metrics_answer_404_when_disabled(database_url, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path), "METRICS_ENABLED": False})
    try:
        assert app.test_client().get("/metrics").status_code == 404
        assert app.test_client().get("/livez").status_code == 200
    finally:
        db.dispose(app)


@pytest.fixture
def default_page_limit():
    """A default limit on every page for one test: the limiter is one object for every app of
    the process and keeps its default limits, so they are taken off again afterwards."""
    from portal.security import limiter

    assert limiter.limit_manager.default_limits == []
    yield "1 per minute"
    limiter.limit_manager.set_default_limits([])


def test_the_operations_endpoints_escape_rate_limits_and_csrf_and_stay_out_of_the_site_map(
        database_url, tmp_path, default_page_limit):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path), "WTF_CSRF_ENABLED": True,
                      "RATELIMIT_DEFAULT": default_page_limit})
    client = app.test_client()
    try:
        assert [client.get(path).status_code for path in ("/livez", "/readyz", "/metrics") * 3] == [200] * 9
        assert client.get("/api/v1/purposes").status_code == 200  # the API has its own quotas
        # the pages are limited: the default limit applies
        assert [client.get("/plan-du-site").status_code for _ in range(2)] == [200, 429]
    finally:
        db.dispose(app)
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path)})
    try:
        page = app.test_client().get("/plan-du-site").get_data(as_text=True)
        assert not any(path in page for path in ("/metrics", "/livez", "/readyz"))
    finally:
        db.dispose(app)


# Probes


def test_livez_is_alive_without_a_database(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'registre.db'}"})
    response = app.test_client().get("/livez", headers={"Cookie": "rno_session=" + "a" * 43})
    assert response.status_code == 200 and response.get_json() == {"status": "alive"}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    assert not (tmp_path / "missing").exists()
    db.dispose(app)


def test_readyz_is_ready_on_a_migrated_database_and_sets_no_cookie(client):
    response = client.get("/readyz", headers={"Cookie": "rno_session=" + "a" * 43})
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}
    assert "Set-Cookie" not in response.headers


def _older_revision(engine) -> str:
    script = ScriptDirectory.from_config(alembic_config(engine))
    (head,) = script.get_heads()
    return script.get_revision(head).down_revision


@pytest.mark.parametrize("change", ["older", "missing"])
def test_readyz_is_not_ready_when_the_schema_is_not_at_the_head(app, client, database_url, change, caplog):
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            if change == "older":
                connection.execute(text("UPDATE alembic_version SET version_num = :old"),
                                   {"old": _older_revision(engine)})
            else:
                connection.execute(text("DROP TABLE alembic_version"))
    finally:
        engine.dispose()
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready", "reason": "schema"}
    assert [r.getMessage() for r in caplog.records if r.name == app.logger.name] == ["not ready: schema"]


def _unreachable_urls(tmp_path) -> list[str]:
    return [f"sqlite:///{tmp_path / 'missing' / 'registre.db'}",
            f"postgresql://registre@127.0.0.1:{free_port()}/registre"]


def test_readyz_is_not_ready_when_the_database_does_not_answer(tmp_path, caplog):
    for url in _unreachable_urls(tmp_path):
        app = create_app({"TESTING": True, "SECRET_KEY": "s", "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
        try:
            with caplog.at_level(logging.WARNING):
                caplog.clear()
                response = app.test_client().get("/readyz")
            assert response.status_code == 503
            assert json.loads(response.get_data()) == {"status": "not_ready", "reason": "database"}
            assert [r.getMessage() for r in caplog.records if r.name == app.logger.name] == [
                "not ready: database (OperationalError)"]
            assert "Traceback" not in caplog.text and "127.0.0.1" not in caplog.text
        finally:
            db.dispose(app)


# JSON logs


@pytest.fixture
def json_app(database_url, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(tmp_path), "LOG_FORMAT": "json"})

    def noisy():
        current_app.logger.warning("a warning for %s", "the operators")
        try:
            raise ValueError("a message that may quote a request")
        except ValueError:
            current_app.logger.exception("the view caught an error")
        return "ok"

    app.add_url_rule("/noisy", "noisy", noisy)
    yield app
    db.dispose(app)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonHandler)]:
        root.removeHandler(handler)


def test_json_logs_are_one_object_per_line_without_address_or_query_string(json_app, capsys):
    server = make_server("127.0.0.1", 0, json_app)  # one thread: a request is logged before the next is read
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        assert requests.get(url + "/noisy", params={"nir": OPPOSED}, timeout=30).text == "ok"
        assert requests.get(url + "/livez", timeout=30).status_code == 200
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    output = capsys.readouterr().err
    lines = [json.loads(line) for line in output.splitlines() if line]
    assert "127.0.0.1" not in output and OPPOSED not in output and "nir=" not in output
    assert "Traceback" not in output and "may quote" not in output
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
        assert line["time"].endswith("Z") and datetime.fromisoformat(line["time"])
    warning, error = [line for line in lines if line["logger"] == json_app.logger.name]
    assert warning["message"] == "a warning for the operators" and warning["level"] == "WARNING"
    assert warning["endpoint"] == "noisy" and re.fullmatch(r"[0-9a-f]{16}", warning["request_id"])
    assert error["exception"] == "ValueError" and error["request_id"] == warning["request_id"]
    request_lines = [line["message"] for line in lines if line["logger"] == "werkzeug"]
    assert any('"GET /noisy HTTP/1.1" 200' in message for message in request_lines)


def test_an_unknown_log_format_is_refused(tmp_path):
    from portal.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="REGISTRE_LOG_FORMAT"):
        create_app({"TESTING": True, "SECRET_KEY": "s", "INSTANCE_PATH": str(tmp_path), "LOG_FORMAT": "xml",
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})


# Several gunicorn workers


def _requests_by_process(folder: Path, route: str) -> dict[int, float]:
    """Each worker's own count of ``route``, read from its file alone."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in folder.glob("counter_*.db"):
        alone = folder.parent / f"alone-{path.stem}"
        alone.mkdir(exist_ok=True)
        shutil.copyfile(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts[int(path.stem.split("_")[1])] = sum(
            s.value for family in registry.collect() for s in family.samples
            if s.name == "registre_http_requests_total" and s.labels.get("route") == route)
        shutil.rmtree(alone)
    return counts


def test_gunicorn_workers_metrics_are_summed_and_a_dead_workers_live_gauge_dropped(database_url, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "REGISTRE_DATABASE_URL": database_url, "REGISTRE_INSTANCE_PATH": str(tmp_path / "gunicorn"),
           "REGISTRE_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "REGISTRE_OPRF_KEY": TEST_OPRF_KEY,
           "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    route = "/api/v1/purposes"
    with Gunicorn(env, ready="/livez") as server:
        base = server.url
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            for _ in range(50):  # until both workers have served some (the kernel chooses)
                statuses = list(pool.map(lambda _: requests.get(base + route, timeout=30).status_code, range(16)))
                assert statuses == [200] * 16
                sent += 16
                by_process = _requests_by_process(folder, route)
                if len([n for n in by_process.values() if n]) == 2:
                    break
        assert len([n for n in by_process.values() if n]) == 2
        exposition = requests.get(base + "/metrics", timeout=30).text
        assert value(exposition, "registre_http_requests_total", route=route, method="GET", status="200") == sent
        assert sum(by_process.values()) == sent

        gone = next(iter(by_process))
        live_gauge = folder / f"gauge_livesum_{gone}.db"
        assert live_gauge.exists()
        os.kill(gone, signal.SIGTERM)
        for _ in range(300):  # gunicorn reaps the worker and calls child_exit (no assertion on time)
            if not live_gauge.exists():
                break
            time.sleep(0.1)
        assert not live_gauge.exists()
        after = requests.get(base + "/metrics", timeout=30).text
        assert value(after, "registre_http_requests_total", route=route, method="GET", status="200") == sent
        server.stop()
        assert "Traceback" not in server.errors(), server.errors()[-2000:]
