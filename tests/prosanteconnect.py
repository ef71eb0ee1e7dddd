"""A real OpenID Connect provider process (``oidc-provider-mock``) playing Pro Santé Connect.

It serves the demo professional of ``portal.learning.demo`` (the claims Pro Santé Connect gives
under ``scope_all``), with the same pinned package and options as the development provider.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from portal.learning.demo import DEMO_PROFESSIONAL  # noqa: F401  (re-exported for the tests)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OidcProvider:
    def __init__(self, users: list[dict]):
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port), "--require-nonce"]
        for user in users:
            args += ["--user-claims", json.dumps(user)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_until_ready(self, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the OIDC provider process exited")
            try:
                if requests.get(self.issuer + "/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the OIDC provider did not start")

    def authorize(self, authorize_url: str, sub: str) -> str:
        """Play the user choosing ``sub`` on the provider's page; the redirect back to the client."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# A professional whose login did not reach the eidas1 level (no CPS card): refused.
WITHOUT_EIDAS = {**DEMO_PROFESSIONAL, "sub": "psc-sans-eidas1", "acr": "eidas0"}


@pytest.fixture(scope="session")
def psc_provider():
    provider = OidcProvider([DEMO_PROFESSIONAL, WITHOUT_EIDAS])
    try:
        provider.wait_until_ready()
        yield provider
    finally:
        provider.stop()


def psc_config(provider: OidcProvider) -> dict:
    return {"PSC_ISSUER": provider.issuer, "PSC_CLIENT_ID": "registre-test", "PSC_CLIENT_SECRET": "secret"}


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert parse_qs(parts.query).get("code"), location
    return f"{parts.path}?{parts.query}"
