"""Pro Santé Connect: the login of health professionals, the OpenID Connect client of
``portal.auth.oidc`` (state, nonce, PKCE, ID token and userinfo checks, logout through the
provider) set up for Pro Santé Connect.

Scope ``openid scope_all``; the professional's identifier is the ``SubjectNameID`` claim and
their profession comes from ``SubjectRefPro`` (the first practice, ``exercices[0]``). Names come
from ``given_name``/``family_name`` when given, else from the practice's ``prenomDexercice`` and
``nomDexercice``. The ID token's ``acr`` must be the level asked for (``PSC_ACR_VALUES``,
``eidas1`` by default).

Client authentication is a setting (``PSC_CLIENT_AUTH_METHOD``): ``client_secret_basic`` or
``client_secret_post`` with ``PSC_CLIENT_SECRET`` today; Pro Santé Connect's production
``private_key_jwt`` (or mTLS) only needs another authlib auth method allowed in
``_auth_method``, not a change of the views. Without ``PSC_ISSUER`` the login is switched off.
"""

from __future__ import annotations

from authlib.integrations.base_client import OAuthError
from flask import Flask, current_app

from campaigns.learning import ProfessionalIdentity

from portal.auth.oidc import UNTRUSTED_ANSWER, LoginRefused, OidcClient, Provider, check_settings

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


def client() -> OidcClient:
    """The app's own client (one per app, so that test apps never share a provider)."""
    return current_app.extensions["prosanteconnect"]


def _auth_method(app: Flask) -> str:
    method = app.config["PSC_CLIENT_AUTH_METHOD"]
    if method not in SECRET_METHODS:
        raise ValueError(f"PSC_CLIENT_AUTH_METHOD {method!r} is not supported yet (use {', '.join(SECRET_METHODS)})")
    return method


def authorize_redirect(redirect_uri: str):
    return client().authorize_redirect(redirect_uri)


def identity_from_callback() -> tuple[ProfessionalIdentity, str]:
    """The verified answer as a professional's identity, and the raw ID token (kept for the
    logout hint). The ID token's claims come first, userinfo's over them. An answer that fails
    a check is ``untrusted_answer``, logged with the check it failed and nothing about the person;
    a level under the one asked is ``weak_authentication``; a flow that failed (a stale state, a
    provider that does not answer) is the ``OAuthError`` the views answer with "try again"."""
    psc = client()
    try:
        answer = psc.verified_answer()
    except LoginRefused as refusal:
        if refusal.code == "acr":
            raise ProSanteConnectError("weak_authentication") from None
        if refusal.code in UNTRUSTED_ANSWER:
            raise _untrusted(refusal.code) from None
        raise OAuthError(refusal.code) from None
    return identity_from_claims(psc.issuer, {**answer.claims, **answer.userinfo}), answer.id_token


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
    return client().logout_url(id_token, None, post_logout_redirect_uri)


def init_app(app: Flask) -> None:
    app.config.setdefault("PSC_ISSUER", None)
    app.config.setdefault("PSC_CLIENT_ID", None)
    app.config.setdefault("PSC_CLIENT_SECRET", None)
    app.config.setdefault("PSC_CLIENT_AUTH_METHOD", "client_secret_basic")
    app.config.setdefault("PSC_SCOPE", "openid scope_all")
    app.config.setdefault("PSC_ACR_VALUES", "eidas1")
    if enabled(app):
        check_settings(app, "PSC", "professionals")
        config = app.config
        app.extensions["prosanteconnect"] = OidcClient(app, Provider(
            CLIENT_NAME, config["PSC_ISSUER"].rstrip("/"), config["PSC_CLIENT_ID"], config["PSC_CLIENT_SECRET"],
            config["PSC_SCOPE"], acr=config["PSC_ACR_VALUES"] or None, auth_method=_auth_method(app),
        ))
