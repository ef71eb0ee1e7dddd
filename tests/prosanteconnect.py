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
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from portal.learning.demo import DEMO_PROFESSIONAL  # noqa: F401  (re-exported for the tests)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ROOT = Path(__file__).resolve().parents[1]


class OidcProvider:
    """The provider process. Two modes play a provider that cannot be trusted (the package as it
    is, started through this module's ``__main__``): ``userinfo_sub`` makes userinfo speak of
    another ``sub`` than the ID token, ``id_token_alg`` signs ID tokens with another algorithm
    (announced in its discovery document and done with its own key, so a client without an
    allow-list of its own accepts them)."""

    def __init__(self, users: list[dict], *, userinfo_sub: str | None = None, id_token_alg: str | None = None):
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        modes = []
        if userinfo_sub is not None:
            modes += ["--userinfo-sub", userinfo_sub]
        if id_token_alg is not None:
            modes += ["--id-token-alg", id_token_alg]
        program = ["-m", "tests.prosanteconnect", *modes] if modes else ["-m", "oidc_provider_mock"]
        args = [sys.executable, *program, "--port", str(self.port), "--require-nonce"]
        for user in users:
            args += ["--user-claims", json.dumps(user)]
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

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


def serve_untrusted(argv: list[str]) -> None:
    """Run ``oidc_provider_mock``'s own command with ``argv``, after taking this module's mode
    options out of it: ``--userinfo-sub SUB`` and ``--id-token-alg ALG``."""
    import flask
    import oidc_provider_mock.__main__ as command
    import oidc_provider_mock._app as provider

    options, rest = {}, []
    arguments = iter(argv)
    for argument in arguments:
        if argument in ("--userinfo-sub", "--id-token-alg"):
            options[argument] = next(arguments)
        else:
            rest.append(argument)
    if "--id-token-alg" in options:
        provider._JWS_ALG = options["--id-token-alg"]  # read at each signature and in discovery
    if "--userinfo-sub" in options:
        other, make_app = options["--userinfo-sub"], command.app

        def app_about_someone_else(**settings):
            app = make_app(**settings)

            @app.after_request
            def userinfo_about_someone_else(response):
                if flask.request.path == "/userinfo" and response.is_json:
                    claims = response.get_json()
                    claims["sub"] = other
                    response.set_data(json.dumps(claims))
                return response

            return app

        command.app = app_about_someone_else
    command.run(rest)


if __name__ == "__main__":
    serve_untrusted(sys.argv[1:])
