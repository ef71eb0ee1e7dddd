"""The access request form (public), and the review forms (registry administrators)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from registry.access_requests import MAX_COHORT_SIZE, MAX_REASON_LENGTH, email_valid, normalise_siret, siret_valid
from registry.purposes import Purpose
from registry.warehouses import SCOPES

from portal.free_text import NoIdentifier
from portal.labels import PURPOSE_LABELS

SCOPE_LABELS = {
    "lookup": _l("Vérification par lots (lookup)"),
    "jobs": _l("Vérification de fichiers entiers (jobs)"),
    "private-lookup": _l("Mode privé (private-lookup)"),
}


class MultipleCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email(message):
    def check(form, field) -> None:
        if field.data and not email_valid(field.data):
            raise ValidationError(message)
    return check


COHORT_MESSAGE = _l("Donnez un nombre entier de personnes entre 1 et 100 000 000.")


class WholeNumberField(IntegerField):
    """A whole number as people type it ("12 000" too: a text input, not type=number, which
    refuses the space); anything else is one plain message."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            text = "".join(valuelist[0].split()).replace("\u202f", "")
            try:
                self.data = int(text) if text else None
            except ValueError:
                self.data = None
                raise ValueError(str(COHORT_MESSAGE)) from None


def cohort_in_range(form, field) -> None:
    if field.data is not None and not 1 <= field.data <= MAX_COHORT_SIZE:
        raise ValidationError(COHORT_MESSAGE)


class AccessRequestForm(FlaskForm):
    organisation = StringField(_l("Organisation"), filters=[_strip], validators=[
        DataRequired(_l("Donnez le nom de votre organisation.")),
        Length(max=200, message=_l("Le nom est trop long : 200 caractères au plus.")), NoIdentifier()])
    siret = StringField(_l("Numéro SIRET de l'établissement"), filters=[_strip], validators=[
        DataRequired(_l("Donnez le numéro SIRET de l'établissement (14 chiffres)."))])
    contact_email = StringField(_l("Adresse électronique de contact"), filters=[_strip], validators=[
        DataRequired(_l("Donnez une adresse électronique de contact.")),
        _email(_l("Saisissez une adresse électronique valide, par exemple nom@exemple.fr."))])
    purposes = MultipleCheckboxField(
        _l("Finalités pour lesquelles vous vérifierez"),
        choices=[SelectChoice(p.code, PURPOSE_LABELS[p]) for p in Purpose],
        validators=[DataRequired(_l("Cochez au moins une finalité."))])
    cohort_size = WholeNumberField(_l("Taille de cohorte attendue (nombre de personnes)"), validators=[
        InputRequired(_l("Donnez la taille de cohorte attendue, en nombre de personnes.")), cohort_in_range])
    dpo_email = StringField(_l("Adresse électronique du délégué à la protection des données"), filters=[_strip],
                            validators=[DataRequired(_l("Donnez l'adresse du délégué à la protection des données.")),
                                        _email(_l("Saisissez une adresse électronique valide, par exemple dpo@exemple.fr."))])

    def validate_siret(self, field) -> None:
        if field.data and not siret_valid(normalise_siret(field.data)):
            raise ValidationError(_l("Ce numéro SIRET n'est pas valide : vérifiez les 14 chiffres (le dernier est une clé de contrôle)."))


class ApproveForm(FlaskForm):
    scopes = MultipleCheckboxField(_l("Droits accordés"), choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
                                   validators=[DataRequired(_l("Cochez au moins un droit."))])
    cohort_size = WholeNumberField(_l("Taille de cohorte accordée (nombre de personnes)"), validators=[
        InputRequired(_l("Donnez la taille de cohorte accordée, en nombre de personnes.")), cohort_in_range])


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Raison du refus (envoyée au demandeur)"), filters=[_strip], validators=[
        DataRequired(_l("Donnez la raison du refus.")),
        Length(max=MAX_REASON_LENGTH, message=_l("La raison est trop longue : 2000 caractères au plus.")), NoIdentifier()])
