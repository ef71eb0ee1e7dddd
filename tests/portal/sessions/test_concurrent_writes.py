"""Issue 17, line 11: every write takes its turn (``registry.db.unit_of_work``), so on SQLite
citizen logins, filings, staff sign-ins and API charges running at once from two gunicorn
workers all succeed; a command waits for its turn instead of failing; no secret appears in a
database error."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import pyotp
import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.db import create_database_engine
from registry.staff import find_account
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.gunicorn_server import Gunicorn

PASSWORD = "un mot de passe assez long"
CHILD = DEMO_PEOPLE[3]
SUBS = ("demo-marie-corse", "demo-karim-maroc", "demo-julie-parent")


def test_logins_filings_staff_sign_ins_and_api_charges_at_once_never_fail(app, database_url, oidc_provider, tmp_path):
    runner = app.test_cli_runner()
    agents = [f"agent{n}@sante.gouv.fr" for n in range(4)]
    for email in agents:
        assert runner.invoke(args=["staff", "create", email, "--role", "agent"],
                             input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    result = runner.invoke(args=["registry", "create-warehouse", "EDS concurrent", "--json"])
    assert result.exit_code == 0, result.output
    import json

    credentials = json.loads(result.output)
    env = {**os.environ, "REGISTRE_ENV_NAME": "development", "REGISTRE_DATABASE_URL": database_url,
           "REGISTRE_INSTANCE_PATH": str(tmp_path / "gunicorn"), "REGISTRE_SECRET_KEY": "concurrency-secret",
           "REGISTRE_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "REGISTRE_OPRF_KEY": TEST_OPRF_KEY,
           "REGISTRE_FRANCECONNECT_ISSUER": oidc_provider.url, "REGISTRE_WTF_CSRF_ENABLED": "false",
           "REGISTRE_LOGIN_RATE_LIMIT": "10000 per minute", "REGISTRE_FILING_RATE_LIMIT": "10000 per minute",
           "REGISTRE_STAFF_LOGIN_RATE_LIMIT": "10000 per minute", "REGISTRE_API_RATE_LIMIT": "100000 per minute"}
    server = Gunicorn(env, threads=4).start()
    base = server.url
    start = threading.Barrier(14)

    def citizen(n: int) -> list[int]:
        with requests.Session() as http:
            start.wait()
            statuses = []
            for _ in range(2):
                first = http.get(base + "/connexion", params={"next": "/mon-espace"}, allow_redirects=False, timeout=60)
                consent = requests.post(first.headers["Location"], data={"sub": SUBS[n % 3]},
                                        allow_redirects=False, timeout=60)
                back = http.get(urljoin(base, consent.headers["Location"]), allow_redirects=False, timeout=60)
                filed = http.post(base + "/mon-espace/procuration", allow_redirects=False, timeout=60,
                                  data={"proxy_for": "minor", "nir": CHILD.nir, "birthdate-year": CHILD.birthdate[:4],
                                        "birthdate-month": CHILD.birthdate[5:7], "birthdate-day": CHILD.birthdate[8:],
                                        "scope": "all", "attest": "y"})
                statuses += [first.status_code, back.status_code, filed.status_code]
            return statuses

    def agent(n: int) -> list[int]:
        with requests.Session() as http:
            start.wait()
            signed = http.post(base + "/staff/connexion", data={"email": agents[n], "password": PASSWORD},
                               allow_redirects=False, timeout=60)
            with app.app_context():
                code = pyotp.TOTP(find_account(db.session(), agents[n]).totp_secret).now()
            second = http.post(base + "/staff/connexion/code", data={"code": code}, allow_redirects=False, timeout=60)
            home = http.get(base + "/staff/", allow_redirects=False, timeout=60)
            return [signed.status_code, second.status_code, home.status_code]

    def warehouse(n: int) -> list[int]:
        with requests.Session() as http:
            start.wait()
            token = http.post(base + "/api/v1/token", data={"grant_type": "client_credentials"}, timeout=60,
                              auth=(credentials["client_id"], credentials["client_secret"]))
            headers = {"Authorization": "Bearer " + token.json().get("access_token", "")}
            return [token.status_code] + [
                http.post(base + "/api/v1/lookup", headers=headers, timeout=60,
                          json={"purpose": "research", "identifiers": [CHILD.nir]}).status_code for _ in range(5)]

    try:
        with ThreadPoolExecutor(14) as pool:
            runs = [pool.submit(citizen, n) for n in range(6)] + [pool.submit(agent, n) for n in range(4)] + \
                   [pool.submit(warehouse, n) for n in range(4)]
            answers = [run.result() for run in runs]
    finally:
        server.stop()
    errors = server.errors()
    server.close()
    assert [s for run in answers for s in run if s >= 500] == [], errors[-3000:]
    assert answers[:6] == [[302, 302, 303] * 2] * 6  # logged in and filed, twice each
    assert answers[6:10] == [[302, 302, 200]] * 4  # signed in, both steps
    assert answers[10:] == [[200] * 6] * 4  # a token and five charged lookups each
    verified = runner.invoke(args=["registry", "verify-audit"])
    assert verified.exit_code == 0, verified.output  # the chain and the transparency log agree


def test_a_command_waits_for_its_write_turn_instead_of_failing(app, database_url, db_engine_name):
    if db_engine_name != "sqlite":
        pytest.skip("the write turn is SQLite's (PostgreSQL writers wait on row locks)")
    lock_path = make_url(database_url).database + ".write-lock"
    released = threading.Event()

    def another_writer():
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a long write elsewhere holds the turn for a moment
            time.sleep(1.0)
            released.set()
            fcntl.flock(lock, fcntl.LOCK_UN)

    holder = threading.Thread(target=another_writer)
    holder.start()
    time.sleep(0.2)
    result = app.test_cli_runner().invoke(args=["staff", "create", "agent@sante.gouv.fr", "--role", "agent"],
                                          input=f"{PASSWORD}\n{PASSWORD}\n")
    holder.join()
    assert result.exit_code == 0, result.output
    assert released.is_set()  # it did wait for the other writer


def test_a_database_error_never_shows_what_was_being_written(database_url):
    engine = create_database_engine(database_url)
    secret = "JBSWY3DPEHPK3PXP-totp-secret"
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO staff_accounts (id, email, role, password_hash, totp_secret, "
                                    "failed_attempts, created_at, session_generation) VALUES "
                                    "(1, 'a@b.fr', 'agent', '$argon2id$hash', :secret, 0, CURRENT_TIMESTAMP, 0)"),
                               {"secret": secret})
            with pytest.raises(Exception) as failed:
                connection.execute(text("INSERT INTO staff_accounts (id, email, role, password_hash, totp_secret, "
                                        "failed_attempts, created_at, session_generation) VALUES "
                                        "(1, 'a@b.fr', 'agent', '$argon2id$hash', :secret, 0, CURRENT_TIMESTAMP, 0)"),
                                   {"secret": secret})
            assert secret not in str(failed.value) and "$argon2id$hash" in str(failed.value)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    finally:
        engine.dispose()
