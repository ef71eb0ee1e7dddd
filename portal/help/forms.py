"""The contact form. It asks for as little as possible: a topic, the message, and an email
address only if the person wants an answer by email."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from registry.contact import MAX_MESSAGE_LENGTH, holds_identifier

TOPIC_LABELS = {
    "question": _l("Une question sur l'opposition"),
    "filing": _l("Un problème pour faire ma demande"),
    "my_data": _l("Mes données personnelles"),
    "accessibility": _l("Accessibilité"),
    "other": _l("Autre chose"),
}

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ContactForm(FlaskForm):
    topic = RadioField(_l("Sujet"), choices=[SelectChoice(value, label) for value, label in TOPIC_LABELS.items()],
                       validators=[DataRequired(message=_l("Choisissez un sujet."))])
    body = TextAreaField(
        _l("Votre message"), filters=[_strip],
        validators=[DataRequired(message=_l("Écrivez votre message.")),
                    Length(max=MAX_MESSAGE_LENGTH, message=_l("Votre message est trop long : %(max)d caractères au plus."))],
    )
    email = StringField(_l("Votre adresse électronique (facultatif)"), filters=[_strip],
                        validators=[Optional(), Length(max=254, message=_l("Cette adresse est trop longue."))])

    # A social security number, however typed (``registry.contact.holds_identifier``), is refused
    # in every field a person types: the registry must not keep one, and the inbox refuses it too.
    def validate_body(self, field) -> None:
        if holds_identifier(field.data):
            raise ValidationError(_l("N'écrivez pas votre numéro de sécurité sociale dans le message : nous n'en avons pas besoin pour vous répondre."))

    def validate_email(self, field) -> None:
        if field.data and not EMAIL.fullmatch(field.data):
            raise ValidationError(_l("Saisissez une adresse électronique valide, par exemple nom@exemple.fr, ou laissez ce champ vide."))
        if holds_identifier(field.data):
            raise ValidationError(_l("Cette adresse contient un numéro de sécurité sociale : donnez une autre adresse, ou laissez ce champ vide."))
