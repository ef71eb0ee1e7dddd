"""Pro Santé Connect: the login of health professionals (OpenID Connect, through authlib).

Scope ``openid scope_all``; the professional's identifier is the ``SubjectNameID`` claim and
their profession comes from ``SubjectRefPro`` (the first practice, ``exercices[0]``). Names come
from ``given_name``/``family_name`` when given, else from the practice's ``prenomDexercice`` and
``nomDexercice``. The login uses state, a nonce of 43 characters and PKCE (S256), and the ID
token's ``acr`` must be the level asked for (``PSC_ACR_VALUES``, ``eidas1`` by default).

Client authentication is a setting (``PSC_CLIENT_AUTH_METHOD``): ``client_secret_basic`` or
``client_secret_post`` with ``PSC_CLIENT_SECRET`` today; Pro Santé Connect's production
``private_key_jwt`` (or mTLS) only needs another authlib auth method registered in
``_client_kwargs``, not a change of the views. Without ``PSC_ISSUER`` the login is switched off.
"""

from __future__ import annotations

import os
import secrets

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from campaigns.learning import ProfessionalIdentity

from portal.auth.franceconnect import ALLOWED_ALGORITHMS, LoginRefused, loopback_http, read_userinfo, signing_algorithm
from portal.config import ConfigurationError

CLIENT_NAME = "prosanteconnect"
SECRET_METHODS = ("client_secret_basic", "client_secret_post")

PROFESSIONS = {
    "10": "Médecin", "21": "Pharmacien", "26": "Audioprothésiste", "28": "Opticien-lunetier",
    "40": "Chirurgien-dentiste", "50": "Sage-femme", "60": "Infirmier", "69": "Infirmier psychiatrique",
    "70": "Masseur-kinésithérapeute", "80": "Pédicure-podologue", "81": "Orthoprothésiste",
    "91": "Orthophoniste", "92": "Orthoptiste", "94": "Ergothérapeute", "95": "Diététicien",
    "96": "Psychomotricien", "98": "Manipulateur ERM",
}


class ProSanteConnectError(Exception):
    """The provider's answer cannot identify a professional; ``code`` picks the message shown."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("PSC_ISSUER"))


def client():
    """The app's own authlib registry (one per app, so that test apps never share a provider)."""
    return current_app.extensions["prosanteconnect"].create_client(CLIENT_NAME)


def _client_kwargs(app: Flask) -> dict:
    method = app.config["PSC_CLIENT_AUTH_METHOD"]
    if method not in SECRET_METHODS:
        raise ValueError(f"PSC_CLIENT_AUTH_METHOD {method!r} is not supported yet (use {', '.join(SECRET_METHODS)})")
    return {"scope": app.config["PSC_SCOPE"], "token_endpoint_auth_method": method, "code_challenge_method": "S256"}


def authorize_redirect(redirect_uri: str):
    extra = {"acr_values": current_app.config["PSC_ACR_VALUES"]} if current_app.config.get("PSC_ACR_VALUES") else {}
    return client().authorize_redirect(redirect_uri, nonce=secrets.token_urlsafe(32), **extra)


def identity_from_callback() -> tuple[ProfessionalIdentity, str | None]:
    """Exchange the code, check the ID token (authlib checks state, nonce, issuer, audience;
    its algorithm must be one of ``ALLOWED_ALGORITHMS``), then read userinfo, whose ``sub`` must
    be the ID token's (OpenID Connect Core 5.3.2) before any of its claims is used: plain JSON,
    or a JWT verified as FranceConnect's (``read_userinfo``). An answer that fails a check is
    ``untrusted_answer``, logged with the check it failed and nothing about the person."""
    psc = client()
    token = psc.authorize_access_token()
    algorithm = signing_algorithm(token.get("id_token") or "")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise _untrusted("id_token_algorithm")
    claims = dict(token.get("userinfo") or {})
    wanted = current_app.config.get("PSC_ACR_VALUES")
    if wanted and claims.get("acr") != wanted:
        raise ProSanteConnectError("weak_authentication")
    metadata = psc.load_server_metadata()
    response = psc.get(metadata["userinfo_endpoint"], token=token)
    if response.ok:
        try:
            userinfo = read_userinfo(response.headers.get("Content-Type", ""), response.content,
                                     jwks=psc.fetch_jwk_set(), issuer=metadata["issuer"],
                                     client_id=current_app.config["PSC_CLIENT_ID"], subject=claims.get("sub"))
        except LoginRefused as refusal:
            raise _untrusted(refusal.code) from None
        claims.update(userinfo)
    return identity_from_claims(metadata["issuer"], claims), token.get("id_token")


def _untrusted(check: str) -> ProSanteConnectError:
    current_app.logger.warning("Pro Santé Connect answer refused: %s", check)
    return ProSanteConnectError("untrusted_answer")


def identity_from_claims(issuer: str, claims: dict) -> ProfessionalIdentity:
    subject = str(claims.get("sub") or "")
    professional_identifier = str(claims.get("SubjectNameID") or "").strip()
    if not subject or not professional_identifier:
        raise ProSanteConnectError("missing_identifier")
    practice = _first_practice(claims.get("SubjectRefPro"))
    given = claims.get("given_name") or practice.get("prenomDexercice") or ""
    family = claims.get("family_name") or practice.get("nomDexercice") or ""
    if not family:
        raise ProSanteConnectError("missing_name")
    code = str(practice.get("codeProfession") or "")
    profession = PROFESSIONS.get(code, code or None)
    return ProfessionalIdentity(issuer, subject, professional_identifier, str(given).strip(), str(family).strip(),
                                profession)


def _first_practice(reference) -> dict:
    if isinstance(reference, dict):
        practices = reference.get("exercices") or []
        if practices and isinstance(practices[0], dict):
            return practices[0]
    return {}


def end_session_url(id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's logout address, so that leaving here also ends the session there."""
    endpoint = client().load_server_metadata().get("end_session_endpoint")
    if not endpoint or not id_token:
        return None
    from urllib.parse import urlencode

    return endpoint + "?" + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri})


def init_app(app: Flask) -> None:
    app.config.setdefault("PSC_ISSUER", None)
    app.config.setdefault("PSC_CLIENT_ID", None)
    app.config.setdefault("PSC_CLIENT_SECRET", None)
    app.config.setdefault("PSC_CLIENT_AUTH_METHOD", "client_secret_basic")
    app.config.setdefault("PSC_SCOPE", "openid scope_all")
    app.config.setdefault("PSC_ACR_VALUES", "eidas1")
    oauth = OAuth(app)
    app.extensions["prosanteconnect"] = oauth
    if enabled(app):
        issuer = app.config["PSC_ISSUER"].rstrip("/")
        if app.config.get("PRODUCTION") and not issuer.startswith("https://"):
            if not (app.config.get("STAGING") and loopback_http(issuer)):
                raise ConfigurationError("REGISTRE_PSC_ISSUER must be an https:// URL in production")
            app.logger.warning("STAGING: professionals sign in with the local identity provider %s over plain "
                               "http; never in production", issuer)
            os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
        oauth.register(
            CLIENT_NAME,
            client_id=app.config["PSC_CLIENT_ID"],
            client_secret=app.config["PSC_CLIENT_SECRET"],
            server_metadata_url=issuer + "/.well-known/openid-configuration",
            client_kwargs=_client_kwargs(app),
        )
