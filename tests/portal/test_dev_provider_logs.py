"""What ``./run`` prints while a citizen signs in: the development identity provider and the portal's
development server are started as ``./run`` starts them, a demo citizen signs in over real HTTP,
and their output holds neither the citizen's identity claims nor a client address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from portal.demo import DEMO_CITIZENS
from portal.dev_provider import provider_command
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.oidc_provider import free_port

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = DEMO_CITIZENS[0]
# uvicorn's access lines start with "<address>:<port> - ", werkzeug's with "<address> - - ["
CLIENT_ADDRESS = re.compile(r"(?m)(?:^|\s)127\.0\.0\.1(?::\d+ - | - - \[)")


def wait_for(url: str, process: subprocess.Popen, attempts: int = 300) -> None:
    """Wait until ``url`` answers (a readiness wait, not a timed assertion)."""
    for _ in range(attempts):
        if process.poll() is not None:
            raise RuntimeError("the process exited at start")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("the process did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def started_as_run_does(database_url, tmp_path):
    """The provider (``python -m portal.dev_provider --port N``) and the portal (``flask run``) in
    development, their output (stdout and stderr) each in a file; yields both URLs and files."""
    provider_port, portal_port = free_port(), free_port()
    provider_log, portal_log = tmp_path / "provider.log", tmp_path / "portal.log"
    provider_url = f"http://127.0.0.1:{provider_port}"
    environment = {
        **os.environ, "FLASK_APP": "wsgi", "REGISTRE_ENV_NAME": "development",
        "REGISTRE_DATABASE_URL": database_url, "REGISTRE_INSTANCE_PATH": str(tmp_path / "instance"),
        "REGISTRE_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "REGISTRE_OPRF_KEY": TEST_OPRF_KEY,
        "REGISTRE_FRANCECONNECT_ISSUER": provider_url, "NO_COLOR": "1",
    }
    environment.pop("DATABASE_URL", None)
    with provider_log.open("wb") as provider_out, portal_log.open("wb") as portal_out:
        provider = subprocess.Popen(provider_command(provider_port), cwd=ROOT, env=environment,
                                    stdout=provider_out, stderr=subprocess.STDOUT)
        portal = subprocess.Popen([sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(portal_port)],
                                  cwd=ROOT, env=environment, stdout=portal_out, stderr=subprocess.STDOUT)
        try:
            wait_for(provider_url + "/.well-known/openid-configuration", provider)
            wait_for(f"http://127.0.0.1:{portal_port}/", portal)
            yield f"http://127.0.0.1:{portal_port}", provider_log, portal_log
        finally:
            stop(portal)
            stop(provider)


def sign_in(portal_url: str, sub: str) -> requests.Response:
    """The whole login over HTTP: the portal's redirect, the provider's form, the callback."""
    with requests.Session() as browser:
        start = browser.get(portal_url + "/connexion", params={"next": "/mon-espace"}, allow_redirects=False, timeout=30)
        assert start.status_code == 302, start.status_code
        chosen = browser.post(start.headers["Location"], data={"sub": sub}, allow_redirects=False, timeout=30)
        assert chosen.status_code == 302, chosen.status_code
        callback = browser.get(urljoin(portal_url, chosen.headers["Location"]), allow_redirects=False, timeout=30)
        assert callback.status_code in (302, 303), callback.status_code
        return browser.get(urljoin(portal_url, callback.headers["Location"]), timeout=30)


def test_run_logs_no_identity_claims_and_no_client_address_while_a_citizen_signs_in(started_as_run_does):
    portal_url, provider_log, portal_log = started_as_run_does
    space = sign_in(portal_url, CITIZEN.sub)
    assert space.status_code == 200 and CITIZEN.given_name in space.text  # the sign-in worked
    provider_output = provider_log.read_text(errors="replace")
    portal_output = portal_log.read_text(errors="replace")
    # the logs were captured and the login went through them: not an empty pass
    assert "issued authorization code" in provider_output
    assert '"GET /mon-espace HTTP/1.1" 200' in portal_output
    claims = CITIZEN.claims()
    secrets = [claims["given_name"], claims["family_name"], claims["birthdate"], claims["birthplace"], CITIZEN.person.nir,
               CITIZEN.person.nir.replace(" ", "")]
    for name, output in (("provider", provider_output), ("portal", portal_output)):
        shown = sum(secret in output for secret in secrets)  # a count: the failure shows no claim
        assert shown == 0, f"the {name} log shows identity claims"
        assert CLIENT_ADDRESS.search(output) is None, f"the {name} log shows a client address"
    assert "/oauth2/authorize" not in provider_output  # no access log: paths and query strings stay out
