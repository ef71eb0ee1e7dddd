"""A live API server for the tests: the real app behind werkzeug's server on a free port of
127.0.0.1 chosen at run time, called over real HTTP with ``requests``."""

from __future__ import annotations

import contextlib
import json

import pytest
import requests

from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.e2e.conftest import LiveServer as ServedApp


def make_api_app(database_url, tmp_path, **overrides):
    from portal import create_app

    instance = tmp_path / "instance"
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY,
        "OPRF_KEY": TEST_OPRF_KEY,
        "INSTANCE_PATH": str(instance),
        "JOBS_FOLDER": str(tmp_path / "jobs"),
        "JOBS_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "API_RATE_LIMIT": "100000 per minute",
        "LOG_RATE_LIMIT": "100000 per minute",
        "JOBS_PROCESSES": 1,
        "API_RECORD_INTERVAL": 0,  # the lookups' records are written at every call (one test sets a period)
        **overrides,
    })


class LiveServer(ServedApp):
    """The served app with the API helpers the tests share (tokens, warehouses, the job queue)."""

    def token(self, credentials: dict, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        response = requests.post(self.url + "/api/v1/token", data=data,
                                 auth=(credentials["client_id"], credentials["client_secret"]), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def create_warehouse(self, name: str, *extra: str) -> dict:
        result = self.app.test_cli_runner().invoke(args=["registry", "create-warehouse", name, "--json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def drain_jobs(self) -> int:
        """Run every task waiting in the job queue, as a Huey worker would."""
        from portal.api.queue import get_queue

        huey = get_queue(self.app)
        done = 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            done += 1
        return done


@contextlib.contextmanager
def live_server_behind(middleware, database_url, tmp_path, **overrides):
    """A live API server whose app (``make_api_app``'s, with ``overrides``) is wrapped in
    ``middleware`` (a WSGI middleware class that takes the app): yields the server and the
    middleware, and closes the app's connections."""
    from portal.database import db

    app = make_api_app(database_url, tmp_path, **overrides)
    wrapper = app.wsgi_app = middleware(app.wsgi_app)
    try:
        with LiveServer(app) as server:
            yield server, wrapper
    finally:
        db.dispose(app)


@pytest.fixture
def api_app(database_url, tmp_path):
    app = make_api_app(database_url, tmp_path)
    yield app
    from portal.database import db

    db.dispose(app)


@pytest.fixture
def live(api_app):
    with LiveServer(api_app) as server:
        yield server


@pytest.fixture
def warehouse(live) -> dict:
    return live.create_warehouse("CHU de Test")


@pytest.fixture
def auth(live, warehouse) -> dict:
    return {"Authorization": "Bearer " + live.token(warehouse)}
