"""The back-office form of a data permit (Flask-WTF: CSRF). Labels and messages are lazy so
that they follow the language; the registry checks the rest (``registry.permits``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from registry.permits import REFERENCE
from registry.purposes import Purpose

from portal.labels import PURPOSE_LABELS


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PermitForm(FlaskForm):
    reference = StringField(_l("Référence de l'autorisation"), validators=[
        DataRequired(_l("Saisissez la référence de l'autorisation.")),
        Regexp(REFERENCE.pattern + "$", message=_l("La référence comporte 1 à 64 lettres, chiffres, « . », « _ » ou « - »."))])
    title = StringField(_l("Titre du projet"), validators=[
        DataRequired(_l("Saisissez le titre du projet.")),
        Length(max=300, message=_l("Le titre comporte au plus 300 caractères."))])
    issuing_body = StringField(_l("Organisme qui l'a délivrée"), validators=[
        DataRequired(_l("Saisissez l'organisme qui a délivré l'autorisation.")),
        Length(max=200, message=_l("Le nom de l'organisme comporte au plus 200 caractères."))])
    purposes = Checkboxes(_l("Usages couverts"), choices=[SelectChoice(p.code, PURPOSE_LABELS[p]) for p in Purpose],
                          validate_choice=False)
    starts_on = DateField(_l("Début"), validators=[DataRequired(_l("Saisissez la date de début (jj/mm/aaaa)."))])
    ends_on = DateField(_l("Fin"), validators=[DataRequired(_l("Saisissez la date de fin (jj/mm/aaaa)."))])
    url = StringField(_l("Adresse publique de l'autorisation"), validators=[
        DataRequired(_l("Saisissez l'adresse publique de l'autorisation.")),
        Regexp(r"https://\S+$", message=_l("L'adresse commence par https:// et ne contient pas d'espace.")),
        Length(max=500, message=_l("L'adresse comporte au plus 500 caractères."))])
    holders = Checkboxes(_l("Entrepôts titulaires"), choices=[], validate_choice=False)
    exception_basis = TextAreaField(_l("Exception d'intérêt public : base légale (facultatif)"), validators=[
        Optional(), Length(max=2000, message=_l("La base légale comporte au plus 2 000 caractères."))])
    exception_reference = StringField(_l("Exception d'intérêt public : référence de la décision (facultatif)"),
                                      validators=[Length(
                                          max=100, message=_l("La référence de la décision comporte au plus 100 caractères."))])

    def validate_purposes(self, field):
        codes = {p.code for p in Purpose}
        if not field.data or not set(field.data) <= codes:
            raise ValidationError(_l("Cochez au moins un usage couvert."))

    def validate_holders(self, field):
        allowed = {choice.value for choice in field.choices}
        if not field.data or not set(field.data) <= allowed:
            raise ValidationError(_l("Cochez au moins un entrepôt titulaire."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("La fin est le jour du début ou après."))

    def validate_exception_reference(self, field):
        if bool((field.data or "").strip()) != bool((self.exception_basis.data or "").strip()):
            raise ValidationError(_l("Une exception a une base légale et une référence de décision : "
                                     "remplissez les deux, ou aucun."))
