"""The contact inbox, for agents: the messages sent with the public contact form, those nobody
has handled first (the longest wait on top), each opened on its own page, answered by e-mail
and marked handled.

The list shows no content (topic, language, age, whether an address was given), so reading it
is not audited; opening a message, marking it handled, writing a reply and each try at sending
it are (``registry.contact``: the message's number, the topic, a failure code; never the text or
the address). The reply is kept before it is sent, then sent after the commit through
``portal.mail``; a sending that fails says so to the agent, leaves the reply marked not sent,
and a button tries it again. The agent never sees the person's address: it is opened for the
sending only.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from registry.contact import (
    MAX_MESSAGE_LENGTH, ContactError, ContactReply, get_message, get_reply, mark_handled, messages_for_staff,
    read_message, record_sending, replies_to, reply_address, write_reply,
)
from registry.db import unit_of_work
from registry.models import utcnow

from portal.database import db
from portal.free_text import NoIdentifier
from portal.help import contact_sealer
from portal.help.forms import TOPIC_LABELS
from portal.mail import MailNotSent, mailer
from portal.staff import bp
from portal.staff.forms import ActionForm
from portal.staff.session import current_staff, staff_required

FAILURE_MESSAGES = {
    "not_configured": _l("L'envoi des courriels n'est pas configuré sur ce serveur (réglages REGISTRE_MAIL_SMTP_URL et REGISTRE_MAIL_FROM)."),
    "unreachable": _l("Le serveur de courriel ne répond pas."),
    "refused": _l("Le serveur de courriel a refusé ce courriel."),
    "authentication": _l("Le serveur de courriel a refusé l'identifiant ou le mot de passe du registre."),
    "tls": _l("La connexion chiffrée au serveur de courriel a échoué."),
    "contact_reply_address_unreadable": _l("L'adresse de réponse ne peut pas être déchiffrée avec la clé actuelle (réglage REGISTRE_CONTACT_KEY)."),
}
LANGUAGE_LABELS = {"fr": _l("français"), "en": _l("anglais")}


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Votre réponse"), validators=[
        DataRequired(_l("Écrivez votre réponse.")),
        Length(max=MAX_MESSAGE_LENGTH, message=_l("Votre réponse est trop longue : %(max)d caractères au plus.")),
        NoIdentifier(),
    ])


def _agent() -> str:
    return current_staff().reference


def _age_days(received_at: dt.datetime, now: dt.datetime) -> int:
    return max((now - received_at).days, 0)


@bp.get("/messages")
@staff_required("agent")
def inbox():
    now = utcnow()
    messages = messages_for_staff(db.session())
    return render_template("staff/inbox.html", messages=messages, now=now, age_days=_age_days,
                           topics=TOPIC_LABELS, languages=LANGUAGE_LABELS)


def _message_page(message_id: int, form: ReplyForm | None = None, status: int = 200):
    try:
        with unit_of_work(db.session()) as session:
            message = read_message(session, message_id, actor=_agent())
            replies = replies_to(session, message_id)
    except ContactError:
        abort(404)
    return render_template(
        "staff/inbox_message.html", message=message, replies=replies, form=form or ReplyForm(),
        action_form=ActionForm(), now=utcnow(), age_days=_age_days, topics=TOPIC_LABELS, languages=LANGUAGE_LABELS,
        failures=FAILURE_MESSAGES,
    ), status


@bp.get("/messages/<int:message_id>")
@staff_required("agent")
def inbox_message(message_id: int):
    return _message_page(message_id)


@bp.post("/messages/<int:message_id>/traite")
@staff_required("agent")
def mark_message_handled(message_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work(db.session()) as session:
            mark_handled(session, message_id, actor=_agent())
    except ContactError:
        abort(404)
    flash(_("Le message est marqué comme traité."), "success")
    return redirect(url_for("staff.inbox"), code=303)


def _reply_subject(language: str) -> str:
    with force_locale(language if language in LANGUAGE_LABELS else "fr"):
        return _("Réponse à votre message au Registre national d'opposition")


@bp.post("/messages/<int:message_id>/reponse")
@staff_required("agent")
def reply_to_message(message_id: int):
    form = ReplyForm()
    if not form.validate_on_submit():
        return _message_page(message_id, form, status=422)
    try:
        with unit_of_work(db.session()) as session:
            message = get_message(session, message_id)
            if not message.has_reply_address:
                abort(404)  # the page offers no reply form then
            reply = write_reply(session, message_id, subject=_reply_subject(message.language),
                                body=form.body.data.strip(), actor=_agent())
            reply_id = reply.id
    except ContactError:
        abort(404)
    return _send(message_id, reply_id)


@bp.post("/messages/<int:message_id>/reponses/<int:reply_id>/envoi")
@staff_required("agent")
def send_reply_again(message_id: int, reply_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _send(message_id, reply_id)


def _send(message_id: int, reply_id: int):
    """Send a kept reply (after the commit that kept it) and record what came of it."""
    session = db.session()
    try:
        reply = get_reply(session, message_id, reply_id)
        if reply.sent_at is not None:
            return redirect(url_for("staff.inbox_message", message_id=message_id), code=303)
        message = get_message(session, message_id)
        failure = None
        try:
            address = reply_address(session, message, contact_sealer())
            mailer().send(address, reply.subject, _mail_text(reply, message.language))
        except MailNotSent as exc:
            failure = exc.code
        except ContactError as exc:
            failure = exc.code
        with unit_of_work(session):
            record_sending(session, get_reply(session, message_id, reply_id), actor=_agent(), failure=failure)
    except ContactError:
        abort(404)
    if failure is None:
        flash(_("Votre réponse a été envoyée. Le message est marqué comme traité."), "success")
        return redirect(url_for("staff.inbox"), code=303)
    flash(_("Votre réponse n'a pas pu être envoyée : %(reason)s Elle est gardée ; réessayez plus tard.",
            reason=FAILURE_MESSAGES.get(failure, _("erreur inconnue."))), "error")
    return redirect(url_for("staff.inbox_message", message_id=message_id), code=303)


def _mail_text(reply: ContactReply, language: str) -> str:
    with force_locale(language if language in LANGUAGE_LABELS else "fr"):
        footer = _("Ce courriel répond au message que vous avez envoyé avec le formulaire de contact du Registre national d'opposition. Pour nous écrire à nouveau, utilisez ce formulaire : ce courriel ne reçoit pas de réponse.")
    return f"{reply.body}\n\n--\n{footer}\n"
