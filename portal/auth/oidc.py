"""One OpenID Connect client (authlib) for both identity providers: FranceConnect for citizens
(``portal.auth.franceconnect``) and Pro Santé Connect for health professionals
(``portal.auth.prosanteconnect``). Each of those gives its ``Provider`` settings and turns the
verified claims into its own identity; the flow and every check live here, the stricter of what
the two clients did when they were apart:

- discovery from the configured issuer; in production the issuer is https and the client id and
  secret are set, except for a provider on this machine's loopback in staging (``check_settings``);
- authorization code flow with ``state`` and ``nonce`` of 43 characters (32 random bytes) and
  PKCE (S256); the provider's level (``acr_values``) asked when it has one; every call to the
  provider gives up after 10 seconds;
- the ID token: signed with ES256 or RS256 only and verified against the provider's JWKS
  (authlib: signature, audience, expiry, nonce), its ``iss`` the configured issuer, which the
  discovery document must also name, and its ``acr`` the level asked for;
- userinfo, required (HTTP 200): a JWT verified like the ID token (algorithms, JWKS, issuer,
  audience, 60 s leeway), or plain JSON; its ``sub`` must be the ID token's (OpenID Connect
  Core 5.3.2) before any of its claims is used;
- logout through the provider's end-session endpoint (``id_token_hint``, ``state`` when the caller
  keeps one, ``post_logout_redirect_uri``); none when the provider does not answer.

A refusal is ``LoginRefused(code)``, the code naming the check that failed, never a claim value.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests import RequestException

from portal.config import ConfigurationError

ALLOWED_ALGORITHMS = ("ES256", "RS256")
RANDOM_BYTES = 32  # state and nonce: 32 random bytes, 43 URL-safe characters
TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60  # clock skew allowed on a signed userinfo
#: The refusals that say the provider's answer cannot be trusted (as opposed to a flow that
#: failed: a stale state, a code already used, a provider that does not answer).
UNTRUSTED_ANSWER = frozenset({
    "missing_id_token", "id_token_algorithm", "issuer",
    "userinfo_algorithm", "userinfo_signature", "userinfo_format", "userinfo_subject",
})


class LoginRefused(Exception):
    """The provider's answer cannot be trusted or used; ``code`` says why (never a claim value)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Provider:
    """One identity provider as this service is registered with it."""

    name: str  # authlib's name for the client
    issuer: str  # without a trailing slash
    client_id: str
    client_secret: str
    scope: str
    acr: str | None = None  # the level asked for and required of the ID token; None: none asked
    auth_method: str = "client_secret_post"  # how the client authenticates at the token endpoint
    prompt: str | None = None  # "login": the provider asks the person to authenticate again


@dataclass(frozen=True)
class Answer:
    """What a login brought back, every check passed."""

    id_token: str  # raw, kept for the logout hint
    claims: dict  # the ID token's
    userinfo: dict  # about the same ``sub``


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
                leeway=LEEWAY_SECONDS, iss={"essential": True, "value": issuer},
                aud={"essential": True, "value": client_id},
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


class OidcClient:
    """The client of one app for one provider."""

    def __init__(self, app: Flask, provider: Provider) -> None:
        self.provider = provider
        self.client = OAuth(app).register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": provider.scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": provider.auth_method,
                "timeout": TIMEOUT_SECONDS,
            },
        )

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def authorize_redirect(self, redirect_uri: str):
        """Send the browser to the provider; state, nonce and PKCE verifier wait in the session."""
        extra = {name: value for name, value in (("acr_values", self.provider.acr), ("prompt", self.provider.prompt))
                 if value}
        return self.client.authorize_redirect(redirect_uri, state=random_token(), nonce=random_token(), **extra)

    def verified_answer(self) -> Answer:
        """On the callback: check state, exchange the code (with the PKCE verifier), verify the ID
        token, then read userinfo about the same person (see the module's list)."""
        provider = self.provider
        try:
            token = self.client.authorize_access_token(
                claims_options={"iss": {"essential": True, "value": provider.issuer}})
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
        metadata = self.client.load_server_metadata()
        if metadata.get("issuer") != provider.issuer:
            raise LoginRefused("issuer")
        if provider.acr and claims.get("acr") != provider.acr:
            raise LoginRefused("acr")
        try:
            response = self.client.get(metadata["userinfo_endpoint"], token=token)
        except RequestException:
            raise LoginRefused("provider_unreachable") from None
        if response.status_code != 200:
            raise LoginRefused("userinfo_status")
        userinfo = read_userinfo(
            response.headers.get("Content-Type", ""), response.content,
            jwks=self.client.fetch_jwk_set(), issuer=provider.issuer, client_id=provider.client_id,
            subject=claims.get("sub"),
        )
        return Answer(id_token, dict(claims), userinfo)

    def logout_url(self, id_token: str | None, state: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so that the provider session ends too (None if it cannot)."""
        try:
            endpoint = self.client.load_server_metadata().get("end_session_endpoint")
        except Exception:  # the provider is down: end the local session anyway
            return None
        if not endpoint or not id_token:
            return None
        query = {"id_token_hint": id_token, "state": state, "post_logout_redirect_uri": post_logout_redirect_uri}
        return f"{endpoint}?{urlencode({name: value for name, value in query.items() if value is not None})}"


def loopback_http(url: str) -> bool:
    """An http URL on this machine's loopback (a local identity provider), nothing else."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def check_settings(app: Flask, prefix: str, people: str) -> None:
    """The settings ``{prefix}_ISSUER``, ``_CLIENT_ID`` and ``_CLIENT_SECRET`` of a provider that is
    switched on. Production refuses to start without a client id and secret, or with an issuer
    that is not https, unless it is staging's local provider on loopback (``people``, who signs
    in there, is named in the warning). authlib may speak plain http to a loopback provider only."""
    config = app.config
    issuer = config[f"{prefix}_ISSUER"]
    if config.get("PRODUCTION"):
        for name in (f"{prefix}_CLIENT_ID", f"{prefix}_CLIENT_SECRET"):
            if not config.get(name):
                raise ConfigurationError(f"REGISTRE_{name} is not set; production refuses to start without it")
        if not issuer.startswith("https://"):
            if not (config.get("STAGING") and loopback_http(issuer)):
                raise ConfigurationError(f"REGISTRE_{prefix}_ISSUER must be an https:// URL in production")
            app.logger.warning("STAGING: %s sign in with the local identity provider %s over plain http; "
                               "never in production", people, issuer)
    if loopback_http(issuer):
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
