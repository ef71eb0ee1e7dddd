"""The development identity provider (``oidc-provider-mock``), started for the tests exactly as
``./run`` starts it, on a free port, plus a login through it without a browser."""

from __future__ import annotations

import socket
import subprocess
import time
from urllib.parse import urljoin

import pytest
import requests

from portal.demo import DEMO_CITIZENS
from portal.dev_provider import provider_command

# A citizen whose provider does not vouch for the eidas1 level: login must be refused.
WITHOUT_EIDAS = {"sub": "demo-sans-eidas1", "given_name": "Paul", "family_name": "Sans", "gender": "male",
                 "birthdate": "1980-01-01", "birthplace": "75056", "birthcountry": "99100"}

# People who share some of a demo citizen's traits, for the ownership tests: Marie's twin (every
# trait of her number, another identity), a woman born the same month in Paris (another
# département), one born in another Corsican commune (a commune that cannot be matched), and a
# man with Karim's birth month born in France (Karim's number says abroad).
_MARIE_TRAITS = {"gender": "female", "birthdate": "1985-02-14", "birthplace": DEMO_CITIZENS[0].birthplace,
                 "birthcountry": "99100", "acr": "eidas1"}
MARIE_TWIN = {**_MARIE_TRAITS, "sub": "test-marie-jumelle", "given_name": "Anna", "family_name": "Santoni"}
SAME_MONTH_PARIS = {**_MARIE_TRAITS, "sub": "test-nee-a-paris", "given_name": "Lucie", "family_name": "Roux",
                    "birthplace": "75056"}
OTHER_CORSICAN_COMMUNE = {**_MARIE_TRAITS, "sub": "test-nee-a-bastia", "given_name": "Léa", "family_name": "Costa",
                          "birthplace": "2A041"}
BORN_IN_FRANCE_LIKE_KARIM = {"sub": "test-ne-en-france", "given_name": "Marc", "family_name": "Petit",
                             "gender": "male", "birthdate": "1978-11-03", "birthplace": "69123",
                             "birthcountry": "99100", "acr": "eidas1"}
EXTRA_CITIZENS = (WITHOUT_EIDAS, MARIE_TWIN, SAME_MONTH_PARIS, OTHER_CORSICAN_COMMUNE, BORN_IN_FRANCE_LIKE_KARIM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            provider_command(self.port, extra_users=EXTRA_CITIZENS),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait_until_ready(self, attempts: int = 200) -> None:
        """Wait for discovery to answer (a readiness wait, not a timed assertion)."""
        for _ in range(attempts):
            if self.process.poll() is not None:
                raise RuntimeError("the identity provider exited at start")
            try:
                if requests.get(self.url + "/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the identity provider did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def oidc_provider():
    provider = Provider()
    try:
        provider.wait_until_ready()
        yield provider
    finally:
        provider.stop()


def login_with_client(client, sub: str, next_path: str = "/mon-espace"):
    """Log a Flask test client in through the real provider: the authorization request, the
    provider's consent form (posted by ``requests``), then the callback. Returns the callback's
    response."""
    start = client.get("/connexion", query_string={"next": next_path})
    assert start.status_code == 302, start.status_code
    authorize_url = start.headers["Location"]
    with requests.Session() as http:
        answer = http.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.status_code
    callback = answer.headers["Location"]
    return client.get(urljoin("http://localhost/", callback).removeprefix("http://localhost"))
