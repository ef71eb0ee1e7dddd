"""Trust pages. Each view picks the template of the current language and hands it the settings
and facts it shows; the cookie facts are read from the app's own configuration, so the cookies
page names the cookie the app really sets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale, gettext as _

from portal.keys import log_signer
from portal.log_proofs import checkpoint
from portal.trust import TRUST_SETTINGS
from portal.trust.site import public_pages, sections

bp = Blueprint("trust", __name__)


def _settings() -> dict:
    return {name.lower(): current_app.config.get(name) for name in TRUST_SETTINGS}


def _page(name: str, title: str, **context):
    return render_template(f"trust/{name}_{get_locale().language}.html", page_title=title, site=_settings(), **context)


@dataclass(frozen=True)
class CookieFacts:
    """What the session cookie is, as configured."""

    name: str
    secure: bool
    samesite: str
    httponly: bool


def session_cookie() -> CookieFacts:
    config = current_app.config
    return CookieFacts(
        name=config["SESSION_COOKIE_NAME"],
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        samesite=config.get("SESSION_COOKIE_SAMESITE") or "",
        httponly=bool(config.get("SESSION_COOKIE_HTTPONLY")),
    )


@bp.get("/mentions-legales")
def legal():
    return _page("legal", _("Mentions légales"))


@bp.get("/donnees-personnelles")
def privacy():
    config = current_app.config
    return _page("privacy", _("Données personnelles"), contact_retention_days=config["CONTACT_RETENTION_DAYS"])


@bp.get("/cookies")
def cookies():
    return _page("cookies", _("Gestion des cookies"), cookie=session_cookie())


@bp.get("/accessibilite")
def accessibility():
    config = current_app.config
    return _page("accessibility", _("Déclaration d'accessibilité"), tested=public_pages(),
                 status=config["ACCESSIBILITY_STATUS"], audit_rate=config["ACCESSIBILITY_AUDIT_RATE"],
                 statement_date=dt.date.fromisoformat(str(config["ACCESSIBILITY_STATEMENT_DATE"])))


@bp.get("/verifier-le-registre")
def verify_log():
    """What the public log proves, its current checkpoint and key, and how to check a receipt."""
    signed = checkpoint()
    return _page("verify_log", _("Vérifier le registre"), checkpoint=signed, key=log_signer().verifier_key,
                 root=signed.note.splitlines()[2], api=request.url_root.rstrip("/"))


@bp.get("/plan-du-site")
def sitemap():
    return render_template("trust/sitemap.html", page_title=_("Plan du site"), sections=sections())
