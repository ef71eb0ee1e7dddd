"""Access requests on the public site: the form, and the one-time link that shows a client
secret once. The mails go through ``portal.mail`` after the commit."""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, render_template, request
from flask_babel import force_locale, get_locale, gettext as _

from registry.access_requests import (AccessRequest, AccessRequestError, InvalidRequest, LinkUnusable,
                                      NewAccessRequest, claim_credentials, request_for_link, submit_request)
from registry.db import unit_of_work

from portal.database import db
from portal.developers.forms import SCOPE_LABELS, AccessRequestForm
from portal.developers.views import bp, facts
from portal.help import contact_sealer
from portal.pages import localized_url
from portal.security import limiter


def _request_limit() -> str:
    return current_app.config["ACCESS_REQUEST_RATE_LIMIT"]


def retention() -> dt.timedelta:
    return dt.timedelta(days=int(current_app.config["ACCESS_REQUEST_RETENTION_DAYS"]))


def link_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=float(current_app.config["ACCESS_LINK_HOURS"]))


@bp.route("/demande-acces", methods=["GET", "POST"])
@limiter.limit(_request_limit, exempt_when=lambda: request.method != "POST")
def access_request():
    form = AccessRequestForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(db.session()) as session:
                made = submit_request(session, NewAccessRequest(
                    organisation=form.organisation.data, siret=form.siret.data,
                    contact_email=form.contact_email.data, purposes=tuple(form.purposes.data),
                    cohort_size=form.cohort_size.data, dpo_email=form.dpo_email.data,
                    language=get_locale().language), sealer=contact_sealer(), retention=retention())
                reference = made.reference
        except InvalidRequest as refused:  # the form checks the same rules; this is a safety net
            getattr(form, refused.field).errors = [_("Cette valeur n'est pas acceptée.")]
        else:
            flash(_("Votre demande d'accès %(reference)s est enregistrée. Un administrateur du registre l'examine ; "
                    "sa réponse vous parviendra par courriel.", reference=reference), "success")
            return redirect(localized_url("developers.guide") + "#identifiants", code=303)
    return render_template("developers/access_request.html", form=form, facts=facts(),
                           page_title=_("Demander un accès à l'API")), 422 if form.errors else 200


def _scope_labels(scope: str) -> list[str]:
    return [str(SCOPE_LABELS.get(s, s)) for s in scope.split()]


def _unusable():
    return render_template("developers/link_unusable.html", page_title=_("Ce lien n'est plus utilisable")), 410


@bp.get("/identifiants/<token>")
@limiter.limit(_request_limit)
def claim(token: str):
    """Shows what the link gives; nothing is created until the button is pressed (a mail
    scanner that opens links must not use it up)."""
    try:
        found: AccessRequest = request_for_link(db.session(), token)
    except LinkUnusable:
        return _unusable()
    return render_template("developers/claim.html", access=found, scopes=_scope_labels(found.granted_scope),
                           token=token, page_title=_("Créer vos identifiants"))


@bp.post("/identifiants/<token>")
@limiter.limit(_request_limit)
def claim_confirm(token: str):
    from portal.staff.forms import ActionForm

    if not ActionForm().validate_on_submit():
        return _unusable()
    try:
        with unit_of_work(db.session()) as session:
            found = request_for_link(session, token)
            scopes, organisation = found.granted_scope, found.organisation
            credentials = claim_credentials(session, token)
    except AccessRequestError:
        return _unusable()
    response = current_app.make_response((render_template(
        "developers/credentials.html", credentials=credentials, organisation=organisation,
        scopes=_scope_labels(scopes), scope=scopes, api_url=request.url_root.rstrip("/"),
        page_title=_("Vos identifiants")), 200))
    response.headers["Cache-Control"] = "no-store"
    return response


def mail_text(kind: str, found: AccessRequest, link: str | None = None) -> tuple[str, str]:
    """The subject and text of the mail to the requester, in the language of the request."""
    language = found.language if found.language in ("fr", "en") else "fr"
    with force_locale(language):
        if kind == "approved":
            subject = _("Votre accès à l'API du Registre national d'opposition")
            text = "\n\n".join((
                _("Bonjour,"),
                _("Votre demande d'accès %(reference)s pour %(organisation)s est acceptée, avec les droits : %(scopes)s.",
                  reference=found.reference, organisation=found.organisation, scopes=", ".join(found.granted_scope.split())),
                _("Ouvrez ce lien pour créer votre identifiant et votre secret. Il ne sert qu'une fois et expire le "
                  "%(expires)s (UTC). Le secret vous sera montré une seule fois : gardez-le en lieu sûr.",
                  expires=found.link_expires_at.strftime("%Y-%m-%d %H:%M")),
                link or "",
                _("L'équipe du Registre national d'opposition"),
            ))
        else:
            subject = _("Votre demande d'accès à l'API du Registre national d'opposition")
            text = "\n\n".join((
                _("Bonjour,"),
                _("Votre demande d'accès %(reference)s pour %(organisation)s n'est pas acceptée, pour la raison suivante :",
                  reference=found.reference, organisation=found.organisation),
                found.refusal_reason or "",
                _("Vous pouvez faire une nouvelle demande une fois ce point réglé."),
                _("L'équipe du Registre national d'opposition"),
            ))
    return subject, text + "\n"


def claim_url(found: AccessRequest, token: str) -> str:
    """The link's absolute address on the public site (``SITE_URL`` when set: the back-office
    that approves may be served on another host), in the requester's language."""
    from flask import url_for

    endpoint = "developers_en.claim" if found.language == "en" else "developers.claim"
    path = url_for(endpoint, token=token)
    base = (current_app.config.get("SITE_URL") or request.url_root).rstrip("/")
    return base + path
