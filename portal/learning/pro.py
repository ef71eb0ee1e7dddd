"""Professionals' space: Pro Santé Connect login and logout, attestations (PDF) and the export of
completed modules for continuing-education (DPC) records.

The session keeps only the account id and the ID token (for the provider's logout); the identity
is the (issuer, sub) account looked up at each request, never the raw claims.
"""

from __future__ import annotations

import csv
import io

import requests
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from campaigns import learning
from campaigns.attestations import attestation_of, format_code, normalise_code
from campaigns.modules import default_catalogue
from registry.db import write_with_retry
from portal.auth import prosanteconnect
from portal.database import db
from portal.redirects import safe_next
from portal.sessions import end_session
from portal.learning.helpers import current_professional, forget_progress, locale
from portal.learning.pdf import attestation_pdf
from portal.pages import localized_url
from portal.security import limiter

bp = Blueprint("pro", __name__)
callback_bp = Blueprint("pro_callback", __name__)

LOGIN_ERRORS = {
    "missing_identifier": _l("Pro Santé Connect n'a pas transmis votre identifiant professionnel."),
    "missing_name": _l("Pro Santé Connect n'a pas transmis votre nom."),
    "untrusted_answer": _l("La réponse de Pro Santé Connect n'a pas pu être vérifiée : vous n'êtes pas connecté. Réessayez ; si cela continue, contactez-nous."),
    "weak_authentication": _l("Le niveau d'authentification requis n'a pas été atteint : connectez-vous avec votre carte CPS ou e-CPS."),
}


@bp.get("/")
def home():
    professional = current_professional()
    completed = learning.completed_modules(db.session(), professional) if professional else []
    return render_template(
        "learning/pro_home.html", professional=professional, completed=completed,
        modules=default_catalogue().for_audience("professionals", locale()),
        psc_enabled=prosanteconnect.enabled(), format_code=format_code,
    )


@bp.get("/connexion")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def login():
    if not prosanteconnect.enabled():
        flash(_("La connexion Pro Santé Connect n'est pas configurée sur ce service."), "error")
        return redirect(localized_url("pro.home"))
    session["psc_after_login"] = safe_next(request.args.get("next")) or localized_url("pro.home")
    try:
        return prosanteconnect.authorize_redirect(url_for("pro_callback.callback", _external=True))
    except (requests.RequestException, OAuthError, KeyError, ValueError):
        flash(_("Pro Santé Connect ne répond pas pour le moment. Réessayez plus tard."), "error")
        return redirect(localized_url("pro.home"))


@callback_bp.get("/pro/connexion/retour")
def callback():
    after = safe_next(session.pop("psc_after_login", None)) or url_for("pro.home")
    home = url_for("pro_en.home") if after.startswith("/en/") else url_for("pro.home")
    if not prosanteconnect.enabled():
        abort(404)
    # The callback's address has no language: messages follow the page the person goes back to.
    with force_locale("en" if home.startswith("/en/") else "fr"):
        if "error" in request.args:
            flash(_("La connexion a été annulée ou refusée par Pro Santé Connect."), "error")
            return redirect(home)
        try:
            identity, id_token = prosanteconnect.identity_from_callback()
            professional = write_with_retry(db.session(), lambda s: learning.sign_in_professional(s, identity))
        except prosanteconnect.ProSanteConnectError as error:
            current_app.logger.warning("Pro Santé Connect login refused: %s", error.code)
            flash(str(LOGIN_ERRORS[error.code]), "error")
            return redirect(home)
        except (OAuthError, requests.RequestException, learning.IncompleteIdentity, KeyError, ValueError):
            flash(_("La connexion avec Pro Santé Connect a échoué. Réessayez."), "error")
            return redirect(home)
    end_session(session)  # a new person on this browser: a new token,
    forget_progress()  # and no one else's progress
    session["professional_id"] = professional.id
    session["psc_id_token"] = id_token
    return redirect(after)


@bp.post("/deconnexion")
def logout():
    id_token = session.pop("psc_id_token", None)
    end_session(session)  # the stored session is gone: a copied cookie opens nothing
    forget_progress()
    flash(_("Vous êtes déconnecté."), "success")
    home = localized_url("pro.home")
    if prosanteconnect.enabled():
        provider_logout = prosanteconnect.end_session_url(id_token, url_for("pro.home", _external=True))
        if provider_logout:
            return redirect(provider_logout)
    return redirect(home)


def _professional_or_login():
    professional = current_professional()
    if professional is None:
        abort(redirect(localized_url("pro.login", next=request.path)))
    return professional


@bp.get("/attestations/<code>.pdf")
def attestation_download(code: str):
    professional = _professional_or_login()
    normalised = normalise_code(code)
    attestation = attestation_of(db.session(), professional, normalised) if normalised else None
    if attestation is None:
        abort(404)
    pdf = attestation_pdf(attestation, verify_url=localized_url("verification.verify", _external=True))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="attestation-{attestation.module_slug}-{attestation.code}.pdf"',
        "Cache-Control": "no-store",
    })


EXPORT_COLUMNS = ("professional_identifier", "name", "module", "module_version", "title", "duration_minutes",
                  "completed_on", "score_percent", "verification_code")


@bp.get("/export.csv")
def export_csv():
    """Completed modules, one line each: what a continuing-education (DPC) record needs."""
    professional = _professional_or_login()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for attestation in learning.completed_modules(db.session(), professional):
        writer.writerow((attestation.professional_identifier, attestation.holder_name, attestation.module_slug,
                         attestation.module_version, attestation.module_title, attestation.duration_minutes,
                         attestation.completed_at.date().isoformat(), attestation.score,
                         format_code(attestation.code)))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="modules-termines.csv"', "Cache-Control": "no-store"})
