"""FranceConnect login: the OpenID Connect client of ``portal.auth.oidc`` (state, nonce, PKCE,
ID token and userinfo checks, logout through the provider) set up for FranceConnect:

- discovery from the configured issuer (``FRANCECONNECT_ISSUER``), the client authenticated with
  ``client_secret_post``;
- ``acr_values`` asked (``FRANCECONNECT_ACR``, ``eidas1``) and required of the ID token, and
  ``prompt=login``: the person authenticates again at each login;
- userinfo must carry the gender and the birth date, which numbers are checked against.

What comes back is an ``Identity``: the (issuer, sub) that keys the local account, and the
claims used during the session to check a number against the person. Nothing else is kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import Flask, current_app

from portal.auth.oidc import LoginRefused, OidcClient, Provider, check_settings

FRANCECONNECT_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry"
DEVELOPMENT_ISSUER = "http://127.0.0.1:9400"


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


class FranceConnect(OidcClient):
    """The FranceConnect client of one app, configured from ``FRANCECONNECT_*`` settings."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        super().__init__(app, Provider(
            "franceconnect", config["FRANCECONNECT_ISSUER"].rstrip("/"), config["FRANCECONNECT_CLIENT_ID"],
            config["FRANCECONNECT_CLIENT_SECRET"], config["FRANCECONNECT_SCOPE"], acr=config["FRANCECONNECT_ACR"],
            auth_method="client_secret_post", prompt="login",
        ))

    def finish_login(self) -> tuple[Identity, str]:
        """On the callback: the verified answer as an identity, and the raw ID token (kept for
        the logout hint)."""
        answer = self.verified_answer()
        userinfo = answer.userinfo
        if not userinfo.get("gender") or not userinfo.get("birthdate"):
            raise LoginRefused("missing_claims")
        identity = Identity(
            issuer=self.issuer,
            subject=answer.claims["sub"],
            given_name=str(userinfo.get("given_name", "")),
            family_name=str(userinfo.get("family_name", "")),
            gender=str(userinfo["gender"]),
            birthdate=str(userinfo["birthdate"]),
            birthplace=str(userinfo.get("birthplace") or ""),
            birthcountry=str(userinfo.get("birthcountry") or ""),
        )
        return identity, answer.id_token


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
        config.setdefault("FRANCECONNECT_SCOPE", FRANCECONNECT_SCOPE)
    else:
        config.setdefault("FRANCECONNECT_ISSUER", DEVELOPMENT_ISSUER)
        config.setdefault("FRANCECONNECT_CLIENT_ID", "registre-dev")
        config.setdefault("FRANCECONNECT_CLIENT_SECRET", "development-only-secret")
        # The development provider filters scopes: it hands out gender and birthdate with "profile".
        config.setdefault("FRANCECONNECT_SCOPE", FRANCECONNECT_SCOPE + " profile")
    check_settings(app, "FRANCECONNECT", "citizens")
    config.setdefault("FRANCECONNECT_ACR", "eidas1")
    return True


def init_app(app: Flask) -> None:
    if configure(app):
        app.extensions["franceconnect"] = FranceConnect(app)


def login_available() -> bool:
    return "franceconnect" in current_app.extensions
