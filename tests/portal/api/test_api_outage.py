"""Issue 17, line 9, over real HTTP: when the database cannot answer, every API endpoint that
needs it (public and private API, token, jobs, health) answers 503 ``application/problem+json``
with ``Retry-After``, on SQLite (a database file that cannot be opened) and on PostgreSQL (the
server stopped under a running portal), whichever layer meets the error (SQLAlchemy or the raw
driver of the hot reads); and a method an API address does not take (TRACE, OPTIONS, PUT...) is a
405 problem whose ``Allow`` lists the route's methods.

The endpoints are read from the app's own routes, so that one added later is covered too."""

from __future__ import annotations

import base64
import re
import subprocess

import pytest
import requests
from sqlalchemy import create_engine, text

from registry.db import create_database_engine, upgrade_database
from tests.e2e.conftest import LiveServer as Served
from tests.portal.api.conftest import LiveServer, make_api_app
from tests.portal.api.test_lookup import FREE
from tests.postgres_cluster import PostgresCluster, find_pg_bin

PROBLEM = "application/problem+json"
PREFIX = "/api/v1"
# The only API endpoints that never read the database: what they serve is fixed or in memory.
WITHOUT_DATABASE = {"api.purposes", "api.openapi", "api.private_key", "api.log_key"}
A_JOB = "00000000-0000-0000-0000-000000000000"


def api_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) of every API route, with a plausible value in each variable part."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint == "api_noop":
            continue
        path = re.sub(r"<[^>]+>", A_JOB, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, path))
    return routes


def call(base: str, endpoint: str, method: str, path: str, credentials: dict, token: str = "no-such-token"):
    """The request a warehouse would make to this route: its credentials on the token endpoint, a
    bearer token elsewhere, and a body of the right kind."""
    url = base + path
    if endpoint == "api.token":
        return requests.post(url, data={"grant_type": "client_credentials"}, timeout=60,
                             auth=(credentials["client_id"], credentials["client_secret"]))
    headers = {"Authorization": "Bearer " + token}
    if method == "GET":
        return requests.get(url, params={"purpose": "research", "index": 0, "size": 1, "first": 1, "second": 1},
                            headers=headers, timeout=60)
    if endpoint == "api.create":  # a cohort file
        return requests.post(url, params={"purpose": "research"}, data=(FREE + "\n").encode(), timeout=60,
                             headers={**headers, "Content-Type": "text/csv"})
    element = base64.b64encode(bytes(32)).decode()
    return requests.request(method, url, headers=headers, timeout=60, json={
        "purpose": "research", "identifiers": [FREE], "blinded_elements": [element],
        "cohort_size": 1, "opposed_count": 0, "filter_version": 1})


def assert_every_endpoint_unavailable(base: str, app, credentials: dict, token: str = "no-such-token") -> None:
    routes = api_routes(app)
    assert {"api.token", "api.lookup", "api.create", "api.job_status", "api.private_filter",
            "api.health"} <= {endpoint for endpoint, _m, _p in routes}
    wrong = {}
    for endpoint, method, path in routes:
        response = call(base, endpoint, method, path, credentials, token)
        if endpoint in WITHOUT_DATABASE:
            if response.status_code != 200:
                wrong[endpoint] = (response.status_code, response.text[:200])
            continue
        problem = response.headers.get("Content-Type") == PROBLEM and response.json().get("code")
        retry = response.headers.get("Retry-After", "")
        if (response.status_code, problem) != (503, "service_unavailable") or not retry.isdigit() or int(retry) < 1:
            wrong[endpoint] = (response.status_code, response.headers.get("Content-Type"), retry, response.text[:200])
    assert not wrong, wrong


def test_every_api_endpoint_answers_503_when_the_sqlite_database_cannot_be_opened(tmp_path):
    app = make_api_app(f"sqlite:///{tmp_path}/missing/registre.db", tmp_path)
    with Served(app) as live:
        assert_every_endpoint_unavailable(live.url, app, {"client_id": "rno_" + "0" * 24, "client_secret": "s"})


@pytest.mark.db
def test_every_api_endpoint_answers_503_when_postgresql_stops_under_a_running_portal(tmp_path, db_engine_name):
    if db_engine_name != "postgresql":
        pytest.skip("the PostgreSQL run stops a server of its own")
    if find_pg_bin() is None:
        pytest.fail("PostgreSQL is not installed")
    cluster = PostgresCluster(find_pg_bin())
    cluster.start()
    try:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE outage"))
        admin.dispose()
        engine = create_database_engine(cluster.url("outage"))
        upgrade_database(engine)
        engine.dispose()
        app = make_api_app(cluster.url("outage"), tmp_path)
        with LiveServer(app) as live:
            warehouse = live.create_warehouse("EDS", "--scope", "lookup jobs private-lookup")
            token = live.token(warehouse)
            warm = requests.post(live.url + "/api/v1/lookup", headers={"Authorization": "Bearer " + token},
                                 json={"purpose": "research", "identifiers": [FREE]}, timeout=60)
            assert warm.status_code == 200  # the API's kept driver connections and the pool are open now
            cluster._run(str(cluster.pg_bin / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
            # a real client with a real token, then an unknown token: both meet the stopped server
            assert_every_endpoint_unavailable(live.url, app, warehouse, token)
            assert_every_endpoint_unavailable(live.url, app, {"client_id": "rno_x", "client_secret": "s"})
    finally:
        try:
            cluster.stop()  # removes its folder; pg_ctl itself fails when the server is down already
        except subprocess.CalledProcessError:
            pass


UNSUPPORTED = ("TRACE", "OPTIONS", "PUT", "DELETE", "PATCH", "POST", "GET")


def test_a_method_an_api_address_does_not_take_is_a_405_problem_whose_allow_lists_the_route(live):
    checked = 0
    for rule in live.app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<[^>]+>", A_JOB, rule.rule)
        allowed = set(rule.methods) - {"OPTIONS"}
        for method in UNSUPPORTED:
            if method in allowed:
                continue
            response = requests.request(method, live.url + path, timeout=30)
            assert response.status_code == 405, (method, path, response.status_code)
            assert response.headers["Content-Type"] == PROBLEM, (method, path)
            assert response.json()["code"] == "method_not_allowed" and response.json()["status"] == 405
            assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed, (method, path)
            checked += 1
    assert checked >= 40  # every route, with TRACE and OPTIONS at least


def test_an_api_address_that_matches_no_route_is_a_404_problem_for_any_method(live):
    for method in ("GET", "TRACE", "OPTIONS", "DELETE"):
        response = requests.request(method, live.url + "/api/v1/nothing-here", timeout=30)
        assert response.status_code == 404 and response.headers["Content-Type"] == PROBLEM, method


def test_the_openapi_document_announces_the_503_and_its_retry_after_on_every_endpoint_that_needs_the_database(live):
    document = requests.get(live.url + "/api/v1/openapi.json", timeout=30).json()
    missing = []
    for endpoint, method, path in api_routes(live.app):
        if endpoint in WITHOUT_DATABASE:
            continue
        operation = document["paths"][path.replace(A_JOB, "{job_id}")][method.lower()]
        unavailable = operation["responses"].get("503", {})
        if "Retry-After" not in unavailable.get("headers", {}):
            missing.append((method, path))
    assert not missing
