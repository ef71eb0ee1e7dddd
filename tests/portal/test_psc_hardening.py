"""Issue 17, line 6: a Pro Santé Connect login is refused when userinfo speaks of another
person than the ID token (OpenID Connect Core 5.3.2); production refuses a provider over http.

The provider is the real ``oidc-provider-mock`` application, served over HTTP in this process;
for the hostile case its userinfo answers are rewritten on their way out, as a compromised or
confused provider would send them."""

from __future__ import annotations

import html
import json

import pytest
import requests
from oidc_provider_mock import User
from oidc_provider_mock import app as provider_app

from campaigns.learning_models import Professional
from portal import create_app
from portal.config import ConfigurationError
from portal.database import db
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY, production_config
from tests.e2e.conftest import LiveServer
from tests.prosanteconnect import DEMO_PROFESSIONAL, callback_path

# The provider package, served in this process here, warns about authlib APIs it still uses.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


class UserinfoAbout:
    """WSGI middleware: userinfo answers name ``sub`` instead of the person signed in."""

    def __init__(self, wsgi, sub: str | None) -> None:
        self.wsgi, self.sub = wsgi, sub

    def __call__(self, environ, start_response):
        if self.sub is None or environ.get("PATH_INFO") != "/userinfo":
            return self.wsgi(environ, start_response)
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        body = json.loads(b"".join(self.wsgi(environ, keep)))
        body["sub"] = self.sub
        data = json.dumps(body).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(data)))])
        return [data]


@pytest.fixture(params=[None, "someone-else"], ids=["same-sub", "other-sub"])
def provider(request):
    claims = {k: v for k, v in DEMO_PROFESSIONAL.items() if k != "sub"}
    wsgi = provider_app(require_nonce=True, user_claims=[User(sub=DEMO_PROFESSIONAL["sub"], claims=claims)])
    with LiveServer(UserinfoAbout(wsgi, request.param)) as server:
        server.rewritten = request.param is not None
        yield server


def test_a_userinfo_about_someone_else_refuses_the_login(database_url, provider):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": database_url,
                      "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "WTF_CSRF_ENABLED": False,
                      "PSC_ISSUER": provider.url, "PSC_CLIENT_ID": "registre-test", "PSC_CLIENT_SECRET": "secret"})
    client = app.test_client()
    start = client.get("/pro/connexion")
    consent = requests.post(start.location, data={"sub": DEMO_PROFESSIONAL["sub"]}, allow_redirects=False, timeout=10)
    client.get(callback_path(consent.headers["Location"]))
    page = html.unescape(client.get("/pro/").get_data(as_text=True))
    with app.app_context():
        signed_up = db.session().query(Professional).count()
    if provider.rewritten:
        assert "La réponse de Pro Santé Connect n'a pas pu être vérifiée" in page and signed_up == 0
        assert "Se connecter avec Pro Santé Connect" in page
    else:
        assert "Bonjour CAMILLE MARTIN" in page and signed_up == 1
    db.dispose(app)


@pytest.mark.parametrize("environment, issuer, refused", [
    ("production", "http://127.0.0.1:9500", True),
    ("staging", "http://psc.example.fr", True),
    ("staging", "http://127.0.0.1:9500", False),
])
def test_production_refuses_a_pro_sante_connect_issuer_over_http(environment, issuer, refused, database_url):
    config = production_config(ENV_NAME=environment, DATABASE_URL=database_url, PSC_ISSUER=issuer,
                               PSC_CLIENT_ID="c", PSC_CLIENT_SECRET="s")
    if refused:
        with pytest.raises(ConfigurationError, match="PSC_ISSUER"):
            create_app(config)
    else:
        assert create_app(config).config["STAGING"]
