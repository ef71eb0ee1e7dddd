"""FranceConnect login: an OpenID Connect client (authlib) with FranceConnect's requirements.

- discovery from the configured issuer (``FRANCECONNECT_ISSUER``);
- authorization code flow with ``state`` and ``nonce`` of 43 characters (32 random bytes), and
  PKCE (S256);
- ``acr_values=eidas1`` asked, and the ``acr`` of the ID token checked against it;
- ID token and signed userinfo accepted only when signed with ES256 or RS256, verified against
  the provider's JWKS; userinfo as plain JSON is accepted too (for providers that send it);
- logout through the provider's end-session endpoint (``id_token_hint``, ``state``,
  ``post_logout_redirect_uri``), so that the provider session ends too.

What comes back is an ``Identity``: the (issuer, sub) that keys the local account, and the
claims used during the session to check a number against the person. Nothing else is kept.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from flask import Flask, current_app
from requests import RequestException

from portal.config import ConfigurationError

ALLOWED_ALGORITHMS = ("ES256", "RS256")
FRANCECONNECT_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry"
RANDOM_BYTES = 32  # state and nonce: 32 random bytes, 43 URL-safe characters
DEVELOPMENT_ISSUER = "http://127.0.0.1:9400"


class LoginRefused(Exception):
    """The provider's answer cannot be trusted or used; ``code`` says why (never a claim value)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Identity:
    """Who the provider vouched for. Only (issuer, subject) is stored, as the account key."""

    issuer: str
    subject: str
    given_name: str
    family_name: str
    gender: str
    birthdate: str
    birthplace: str = ""
    birthcountry: str = ""

    def session_claims(self) -> dict:
        """What the session keeps until logout to check numbers against the person."""
        claims = asdict(self)
        del claims["issuer"], claims["subject"]
        return claims


def random_token() -> str:
    return secrets.token_urlsafe(RANDOM_BYTES)


def signing_algorithm(compact_jws: str) -> str | None:
    """The ``alg`` of a compact JWS header, or None when it cannot be read."""
    try:
        header = compact_jws.split(".", 1)[0]
        return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("alg")
    except (ValueError, AttributeError):
        return None


def read_userinfo(content_type: str, body: bytes, *, jwks: dict, issuer: str, client_id: str, subject: str) -> dict:
    """The userinfo claims: a JWT (``application/jwt``, FranceConnect's way) verified against
    the JWKS, with its issuer and audience, or plain JSON. The ``sub`` must be the ID token's."""
    if content_type.split(";")[0].strip().lower() == "application/jwt":
        token = body.decode("ascii", "replace").strip()
        if signing_algorithm(token) not in ALLOWED_ALGORITHMS:
            raise LoginRefused("userinfo_algorithm")
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=list(ALLOWED_ALGORITHMS))
            jwt.JWTClaimsRegistry(
                leeway=60, iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id}
            ).validate(decoded.claims)
        except (JoseError, ValueError):
            raise LoginRefused("userinfo_signature") from None
        claims = decoded.claims
    else:
        try:
            claims = json.loads(body)
        except ValueError:
            raise LoginRefused("userinfo_format") from None
        if not isinstance(claims, dict):
            raise LoginRefused("userinfo_format")
    if claims.get("sub") != subject:
        raise LoginRefused("userinfo_subject")
    return claims


class FranceConnect:
    """The OpenID Connect client of one app, configured from ``FRANCECONNECT_*`` settings."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.issuer = config["FRANCECONNECT_ISSUER"].rstrip("/")
        self.client_id = config["FRANCECONNECT_CLIENT_ID"]
        self.acr = config["FRANCECONNECT_ACR"]
        self.oauth = OAuth(app)
        self.client = self.oauth.register(
            "franceconnect",
            client_id=self.client_id,
            client_secret=config["FRANCECONNECT_CLIENT_SECRET"],
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": config["FRANCECONNECT_SCOPE"],
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_post",
                "timeout": 10,
            },
        )

    def authorize_redirect(self, redirect_uri: str):
        """Send the browser to the provider; state, nonce and PKCE verifier wait in the session."""
        return self.client.authorize_redirect(
            redirect_uri, state=random_token(), nonce=random_token(), acr_values=self.acr, prompt="login"
        )

    def finish_login(self) -> tuple[Identity, str]:
        """On the callback: check state, exchange the code (with the PKCE verifier), verify the ID
        token (signature, issuer, audience, expiry, nonce, acr), read userinfo. Returns the
        identity and the raw ID token (kept for the logout hint)."""
        try:
            token = self.client.authorize_access_token(
                claims_options={
                    "iss": {"essential": True, "value": self.issuer},
                    "acr": {"essential": True, "value": self.acr},
                }
            )
        except (AuthlibBaseError, JoseError) as error:
            raise LoginRefused(getattr(error, "error", None) or "oidc_error") from None
        except RequestException:
            raise LoginRefused("provider_unreachable") from None
        id_token = token.get("id_token")
        claims = token.get("userinfo")
        if not id_token or not claims:
            raise LoginRefused("missing_id_token")
        if signing_algorithm(id_token) not in ALLOWED_ALGORITHMS:
            raise LoginRefused("id_token_algorithm")
        if claims.get("acr") != self.acr:
            raise LoginRefused("acr")
        metadata = self.client.load_server_metadata()
        try:
            response = self.client.get(metadata["userinfo_endpoint"], token=token)
        except RequestException:
            raise LoginRefused("provider_unreachable") from None
        if response.status_code != 200:
            raise LoginRefused("userinfo_status")
        userinfo = read_userinfo(
            response.headers.get("Content-Type", ""), response.content,
            jwks=self.client.fetch_jwk_set(), issuer=self.issuer, client_id=self.client_id, subject=claims["sub"],
        )
        if not userinfo.get("gender") or not userinfo.get("birthdate"):
            raise LoginRefused("missing_claims")
        identity = Identity(
            issuer=self.issuer,
            subject=claims["sub"],
            given_name=str(userinfo.get("given_name", "")),
            family_name=str(userinfo.get("family_name", "")),
            gender=str(userinfo["gender"]),
            birthdate=str(userinfo["birthdate"]),
            birthplace=str(userinfo.get("birthplace") or ""),
            birthcountry=str(userinfo.get("birthcountry") or ""),
        )
        return identity, id_token

    def logout_url(self, id_token: str | None, state: str, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so that the provider session ends too (None if it cannot)."""
        try:
            endpoint = self.client.load_server_metadata().get("end_session_endpoint")
        except Exception:  # the provider is down: end the local session anyway
            return None
        if not endpoint or not id_token:
            return None
        query = urlencode({"id_token_hint": id_token, "state": state, "post_logout_redirect_uri": post_logout_redirect_uri})
        return f"{endpoint}?{query}"


def loopback_http(url: str) -> bool:
    """An http URL on this machine's loopback (a local identity provider), nothing else."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def franceconnect() -> FranceConnect:
    return current_app.extensions["franceconnect"]


def configure(app: Flask) -> bool:
    """Defaults for development (the local provider of ``./run``). In production the issuer,
    client id and secret come from the environment; without an issuer, citizen login is off
    (the portal still serves its public pages), and a half-done configuration refuses to start."""
    config = app.config
    if config["PRODUCTION"]:
        if not config.get("FRANCECONNECT_ISSUER"):
            app.logger.warning("REGISTRE_FRANCECONNECT_ISSUER is not set: citizen login is disabled")
            return False
        for name in ("FRANCECONNECT_CLIENT_ID", "FRANCECONNECT_CLIENT_SECRET"):
            if not config.get(name):
                raise ConfigurationError(f"REGISTRE_{name} is not set; production refuses to start without it")
        if not config["FRANCECONNECT_ISSUER"].startswith("https://"):
            if not (config.get("STAGING") and loopback_http(config["FRANCECONNECT_ISSUER"])):
                raise ConfigurationError("REGISTRE_FRANCECONNECT_ISSUER must be an https:// URL in production")
            app.logger.warning("STAGING: citizens sign in with the local identity provider %s over plain http; "
                               "never in production", config["FRANCECONNECT_ISSUER"])
            os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
        config.setdefault("FRANCECONNECT_SCOPE", FRANCECONNECT_SCOPE)
    else:
        config.setdefault("FRANCECONNECT_ISSUER", DEVELOPMENT_ISSUER)
        config.setdefault("FRANCECONNECT_CLIENT_ID", "registre-dev")
        config.setdefault("FRANCECONNECT_CLIENT_SECRET", "development-only-secret")
        # The development provider filters scopes: it hands out gender and birthdate with "profile".
        config.setdefault("FRANCECONNECT_SCOPE", FRANCECONNECT_SCOPE + " profile")
        if config["FRANCECONNECT_ISSUER"].startswith(("http://127.0.0.1", "http://localhost")):
            os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # the local provider speaks http
    config.setdefault("FRANCECONNECT_ACR", "eidas1")
    return True


def init_app(app: Flask) -> None:
    if configure(app):
        app.extensions["franceconnect"] = FranceConnect(app)


def login_available() -> bool:
    return "franceconnect" in current_app.extensions
