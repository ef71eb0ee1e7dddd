"""Forms of the citizen journeys. Field checks that need the registry (the number, the identity)
run in the views, which add their translated message to the field."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from registry.purposes import Purpose, purpose_from_code

from portal.citizen.labels import IDENTIFIER_MESSAGES, PURPOSE_LABELS, PROXY_KIND_LABELS
from portal.date_fields import BirthDateField


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PurposesForm(FlaskForm):
    """All purposes (the default, one click) or some of them."""

    scope = RadioField(
        _l("Usages concernés"),
        choices=[SelectChoice("all", _l("Tous les usages")), SelectChoice("some", _l("Seulement certains usages"))],
        default="all",
    )
    purposes = CheckboxesField(
        _l("Usages auxquels vous vous opposez (si vous avez choisi « Seulement certains usages »)"),
        choices=[SelectChoice(purpose.code, PURPOSE_LABELS[purpose]) for purpose in Purpose],
    )

    def validate_purposes(self, field) -> None:
        if self.scope.data == "some" and not field.data:
            raise ValidationError(_l("Cochez au moins un usage, ou choisissez « Tous les usages »."))

    def chosen_purposes(self) -> list[Purpose] | None:
        """None means every purpose."""
        if self.scope.data == "all":
            return None
        return [purpose_from_code(code) for code in self.purposes.data]


class SelfFilingForm(PurposesForm):
    nir = StringField(
        _l("Votre numéro de sécurité sociale"),
        filters=[_strip],
        validators=[DataRequired(message=IDENTIFIER_MESSAGES["empty"])],
    )
    confirm = BooleanField(
        _l("Je confirme m'opposer à la réutilisation de mes données de santé pour les usages choisis."),
        validators=[DataRequired(message=_l("Cochez cette case pour confirmer votre demande."))],
    )


class ProxyFilingForm(PurposesForm):
    proxy_for = RadioField(
        _l("Vous faites cette demande pour"),
        choices=[SelectChoice("minor", PROXY_KIND_LABELS["minor"]), SelectChoice("protected_adult", PROXY_KIND_LABELS["protected_adult"])],
        validators=[DataRequired(message=_l("Indiquez pour qui vous faites cette demande."))],
    )
    nir = StringField(
        _l("Son numéro de sécurité sociale"),
        filters=[_strip],
        validators=[DataRequired(message=IDENTIFIER_MESSAGES["empty"])],
    )
    birthdate = BirthDateField(_l("Sa date de naissance"))
    attest = BooleanField(
        _l("J'atteste sur l'honneur être son parent ou son représentant légal (tuteur, curateur habilité)."),
        validators=[DataRequired(message=_l("Cochez cette case pour attester votre qualité de représentant."))],
    )

    def birthdate_value(self) -> dt.date | None:
        """The full birth date typed in its three boxes; None when it is not a real date."""
        return self.birthdate.data


class FindForm(FlaskForm):
    """"Retrouver mon opposition": the number only; the identity comes from FranceConnect."""

    nir = StringField(
        _l("Votre numéro de sécurité sociale"),
        filters=[_strip],
        validators=[DataRequired(message=IDENTIFIER_MESSAGES["empty"])],
    )


class ConfirmForm(FlaskForm):
    """A confirmation step: only the CSRF token."""
