"""Help pages and the contact form. The form's messages go to the configured inbox (the
database by default) in one unit of work; the view then redirects."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request
from flask_babel import get_locale, gettext as _

from registry.contact import NewMessage
from registry.db import unit_of_work

from portal.database import db
from portal.help import CHANNEL_SETTINGS
from portal.help.forms import TOPIC_LABELS, ContactForm
from portal.help.paper_form import paper_form_pdf
from portal.pages import localized_url
from portal.security import limiter

bp = Blueprint("help", __name__)


def _channels() -> dict:
    return {name.lower(): current_app.config.get(name) for name in CHANNEL_SETTINGS}


@bp.get("/")
def help():
    return render_template(f"help/help_{get_locale().language}.html", page_title=_("Aide : vos questions"))


@bp.get("/autres-demarches")
def channels():
    return render_template(f"help/channels_{get_locale().language}.html", channels=_channels(),
                           page_title=_("Faire sa demande par téléphone, au guichet ou par courrier"))


@bp.get("/formulaire-papier.pdf")
def paper_form():
    response = Response(paper_form_pdf(_channels()), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{_("formulaire-opposition")}.pdf"'
    return response


def _contact_limit() -> str:
    return current_app.config["CONTACT_RATE_LIMIT"]


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(_contact_limit, exempt_when=lambda: request.method != "POST")
def contact():
    form = ContactForm()
    if form.validate_on_submit():
        with unit_of_work(db.session()) as session:
            current_app.extensions["contact_inbox"].deliver(session, NewMessage(
                topic=form.topic.data, body=form.body.data, language=get_locale().language,
                reply_to=form.email.data or None,
            ))
        flash(_("Votre message a bien été envoyé. Merci."), "success")
        return redirect(localized_url("help.contact"), code=303)
    return render_template("help/contact.html", form=form, topics=TOPIC_LABELS,
                           retention_days=current_app.config["CONTACT_RETENTION_DAYS"], page_title=_("Nous écrire"))
