"""Fixtures shared by the whole suite.

The database engine is chosen with ``--db``: ``sqlite`` (default) or ``postgresql``, for which
the run starts its own throwaway cluster. Schemas are always built by the Alembic migrations.
Domain tests get ``session``: a connection to a migrated database inside a transaction that is
rolled back after the test. App tests get a database of their own, copied from a migrated one.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.db import create_database_engine, upgrade_database
from registry.keyring import Keyring
from registry.hashing import IdentifierHasher
from registry.oprf import OprfEvaluator
from tests.postgres_cluster import PostgresCluster, find_pg_bin

# The app runs in production unless told otherwise; the tests ask for development explicitly
# (and so do the processes they start). Tests of production remove or override it.
os.environ["REGISTRE_ENV_NAME"] = "development"

TEST_IDENTIFIER_KEY = "test-hmac-1:" + "11" * 32
TEST_OPRF_KEY = "test-oprf-1:" + "22" * 32


def production_config(**settings) -> dict:
    """A complete production configuration (every setting production requires), with keys that
    are not the development ones; ``settings`` add to it or override it."""
    from portal.help import CHANNEL_SETTINGS
    from portal.trust import TRUST_SETTINGS

    facts = {name: f"[{name.lower()}]" for name in (*TRUST_SETTINGS, *CHANNEL_SETTINGS)}
    return {
        "ENV_NAME": "production", "SECRET_KEY": "s" * 32,
        "IDENTIFIER_KEY": "prod-1:" + "ab" * 32, "OPRF_KEY": "prod-oprf-1:" + "cd" * 32,
        "LOG_SIGNING_KEY": "prod-log-1:" + "ef" * 32,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0", "JOBS_QUEUE_URL": "redis://127.0.0.1:9/2",
        "TRUSTED_PROXIES": 0,
        "MAIL_SMTP_URL": "smtp+starttls://registre:secret@smtp.example.org:587",
        "MAIL_FROM": "Registre <ne-pas-repondre@example.org>", "CONTACT_KEY": "prod-contact-1:" + "12" * 32,
        **facts, **settings,
    }


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database engine for the tests that touch a database")


def pytest_report_header(config):
    return f"database engine: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_engine_name(pytestconfig) -> str:
    return pytestconfig.getoption("--db")


@pytest.fixture(scope="session")
def postgres_cluster(db_engine_name):
    if db_engine_name != "postgresql":
        yield None
        return
    pg_bin = find_pg_bin()
    if pg_bin is None:
        pytest.exit("--db=postgresql given but PostgreSQL is not installed", returncode=2)
    cluster = PostgresCluster(pg_bin)
    cluster.start()
    yield cluster
    cluster.stop()


def _create_pg_database(cluster: PostgresCluster, name: str, template: str | None = None) -> str:
    admin = create_database_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        clause = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    admin.dispose()
    return cluster.url(name)


@pytest.fixture(scope="session")
def template_database_url(db_engine_name, postgres_cluster, tmp_path_factory) -> str:
    """A database migrated once per run, copied for each app test."""
    if postgres_cluster is not None:
        url = _create_pg_database(postgres_cluster, "registre_template")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'registre.db'}"
    engine = create_database_engine(url)
    upgrade_database(engine)
    engine.dispose()
    return url


_counter = itertools.count(1)


@pytest.fixture
def database_url(template_database_url, postgres_cluster, tmp_path) -> str:
    """A fresh, migrated database for one test."""
    if postgres_cluster is not None:
        return _create_pg_database(postgres_cluster, f"registre_t{next(_counter)}", "registre_template")
    source = Path(template_database_url.removeprefix("sqlite:///"))
    target = tmp_path / "registre.db"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def shared_engine(db_engine_name, postgres_cluster, tmp_path_factory):
    if postgres_cluster is not None:
        url = _create_pg_database(postgres_cluster, "registre_shared")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'registre.db'}"
    engine = create_database_engine(url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(shared_engine):
    """A session whose work is rolled back after the test, even where the code under test commits."""
    connection = shared_engine.connect()
    transaction = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield db_session
    db_session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def cheap_staff_passwords():
    """Staff passwords and warehouse secrets hashed with argon2id's cheapest costs: the same
    code, seconds not minutes (a secret costs a third of a second at the library's costs, and
    most API tests make a warehouse and ask it a token). Servers started as processes keep the
    real costs; the token endpoint's timing test puts them back for itself."""
    import argon2

    from registry.staff import use_password_parameters
    from registry.warehouses import use_secret_hasher

    use_password_parameters(argon2.profiles.CHEAPEST)
    use_secret_hasher(argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    from registry.keys import parse_key

    return Keyring(
        IdentifierHasher(parse_key(TEST_IDENTIFIER_KEY, name="test")),
        OprfEvaluator(parse_key(TEST_OPRF_KEY, name="test")),
    )


@pytest.fixture
def app(database_url):
    from portal import create_app

    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY,
        "OPRF_KEY": TEST_OPRF_KEY,
        "WTF_CSRF_ENABLED": False,
    })
    yield app
    from portal.database import db

    db.dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# by name: a fixture elsewhere must not reuse one of these names, or its tests run twice
DATABASE_FIXTURES = {"session", "database_url", "app", "client", "runner", "shared_engine"}


def pytest_collection_modifyitems(items):
    """Every test that reaches a database runs again in the PostgreSQL run (``-m db``)."""
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
