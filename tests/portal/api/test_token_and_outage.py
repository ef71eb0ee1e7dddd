"""Issue 17, lines 4 and 9, over real HTTP: the token endpoint is rate limited per address and
per client id, costs the same for an unknown client as for a wrong secret, and refuses a scope
the client lacks; when the database cannot answer, every API endpoint answers 503 problem+json
with Retry-After; methods the API does not take are 405 problems with ``Allow``."""

from __future__ import annotations

import subprocess
import threading

import pytest
import requests
from sqlalchemy import create_engine, text

import registry.warehouses
from registry.db import upgrade_database, create_database_engine
from tests.e2e.conftest import LiveServer as Served
from tests.portal.api.conftest import LiveServer, make_api_app
from tests.portal.api.test_lookup import FREE
from tests.postgres_cluster import PostgresCluster, find_pg_bin

PROBLEM = "application/problem+json"


def ask_token(live, client_id, secret, scope=None, forwarded=None):
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return requests.post(live.url + "/api/v1/token", data=data, auth=(client_id, secret), headers=headers, timeout=30)


class CountingHasher:
    def __init__(self, inner) -> None:
        self.inner, self.count, self._lock = inner, 0, threading.Lock()

    def verify(self, hashed, secret):
        with self._lock:
            self.count += 1
        return self.inner.verify(hashed, secret)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def limited(database_url, tmp_path):
    app = make_api_app(database_url, tmp_path, TOKEN_RATE_LIMIT="5 per minute", TRUSTED_PROXIES=1)
    with LiveServer(app) as live:
        yield live
    from portal.database import db

    db.dispose(app)


def test_wrong_secrets_from_one_address_get_429_after_the_limit(limited):
    warehouse = limited.create_warehouse("EDS")
    answers = [ask_token(limited, warehouse["client_id"], "wrong", forwarded="198.51.100.1") for _ in range(7)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 2
    assert answers[-1].headers["Content-Type"] == PROBLEM and int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].json()["code"] == "rate_limited"


def test_one_client_id_tried_from_many_addresses_gets_429_after_the_limit(limited):
    warehouse = limited.create_warehouse("EDS")
    answers = [ask_token(limited, warehouse["client_id"], "wrong", forwarded=f"198.51.100.{n}").status_code
               for n in range(1, 8)]
    assert answers == [401] * 5 + [429] * 2
    other = limited.create_warehouse("Autre EDS")  # another client is not held back by it
    assert ask_token(limited, other["client_id"], other["client_secret"], forwarded="203.0.113.5").status_code == 200


def test_an_unknown_or_disabled_client_costs_one_argon2_check_and_reads_as_a_wrong_secret(live, monkeypatch):
    counting = CountingHasher(registry.warehouses._password_hasher)
    monkeypatch.setattr(registry.warehouses, "_password_hasher", counting)
    known = live.create_warehouse("EDS")
    disabled = live.create_warehouse("EDS fermé")
    assert live.app.test_cli_runner().invoke(args=["registry", "disable", disabled["client_id"]]).exit_code == 0
    answers = {}
    for case, client_id in (("wrong secret", known["client_id"]), ("unknown", "cli_" + "x" * 20),
                            ("disabled", disabled["client_id"]), ("too long", "y" * 300)):
        before = counting.count
        response = ask_token(live, client_id, "not the secret")
        answers[case] = (response.status_code, response.json()["code"], counting.count - before)
    assert set(answers.values()) == {(401, "invalid_client", 1)}, answers


def test_a_scope_the_client_lacks_is_invalid_scope_not_an_empty_token(live):
    lookup_only = live.create_warehouse("EDS lookup", "--scope", "lookup")
    refused = ask_token(live, lookup_only["client_id"], lookup_only["client_secret"], scope="lookup jobs")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_scope"
    assert refused.headers["Content-Type"] == PROBLEM
    granted = ask_token(live, lookup_only["client_id"], lookup_only["client_secret"], scope="lookup")
    assert granted.status_code == 200 and granted.json()["scope"] == "lookup"


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/lookup", "/api/v1/token", "/api/v1/jobs", "/api/v1/health"])
def test_a_method_the_api_does_not_take_is_a_405_problem_with_allow(live, method, path):
    response = requests.request(method, live.url + path, timeout=30)
    assert response.status_code == 405 and response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "method_not_allowed"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed and method not in allowed and allowed <= {"GET", "HEAD", "POST"}


def every_endpoint(live, credentials=None):
    """One call to each API endpoint, as a warehouse would make it."""
    auth = {"Authorization": "Bearer not-checked-before-the-database"}
    client = (credentials or {}).get("client_id", "cli_x"), (credentials or {}).get("client_secret", "s")
    return {
        "token": requests.post(live.url + "/api/v1/token", data={"grant_type": "client_credentials"}, auth=client,
                               timeout=30),
        "lookup": requests.post(live.url + "/api/v1/lookup", headers=auth, timeout=30,
                                json={"purpose": "research", "identifiers": [FREE]}),
        "jobs": requests.post(live.url + "/api/v1/jobs?purpose=research", headers={**auth, "Content-Type": "text/csv"},
                              data=FREE.encode(), timeout=30),
        "job": requests.get(live.url + "/api/v1/jobs/00000000-0000-0000-0000-000000000000", headers=auth, timeout=30),
        "private filter": requests.get(live.url + "/api/v1/private/filter", params={"purpose": "research"},
                                       headers=auth, timeout=30),
        "health": requests.get(live.url + "/api/v1/health", timeout=30),
    }


def assert_unavailable(answers: dict) -> None:
    for name, response in answers.items():
        assert response.status_code == 503, (name, response.status_code, response.text[:200])
        assert response.headers["Content-Type"] == PROBLEM and int(response.headers["Retry-After"]) > 0, name
        assert response.json()["code"] == "service_unavailable", name


def test_every_endpoint_answers_503_when_the_sqlite_database_cannot_be_opened(tmp_path):
    app = make_api_app(f"sqlite:///{tmp_path}/missing/registre.db", tmp_path)
    with Served(app) as live:
        assert_unavailable(every_endpoint(live))


@pytest.mark.db
def test_every_endpoint_answers_503_when_postgresql_stops_under_a_running_portal(tmp_path, db_engine_name):
    if db_engine_name != "postgresql" or find_pg_bin() is None:
        pytest.skip("the PostgreSQL run stops a server of its own")
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
            warehouse = live.create_warehouse("EDS")
            token = live.token(warehouse)
            headers = {"Authorization": "Bearer " + token}
            warm = requests.post(live.url + "/api/v1/lookup", headers=headers, timeout=30,
                                 json={"purpose": "research", "identifiers": [FREE]})
            assert warm.status_code == 200  # the API's kept connections are open now
            cluster._run(str(cluster.pg_bin / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
            answers = every_endpoint(live, warehouse)
            answers["lookup with a real token"] = requests.post(
                live.url + "/api/v1/lookup", headers=headers, timeout=30,
                json={"purpose": "research", "identifiers": [FREE]})
            assert_unavailable(answers)
    finally:
        try:
            cluster.stop()  # removes its folder; pg_ctl itself fails when the server is down already
        except subprocess.CalledProcessError:
            pass
