"""Back-office forms (Flask-WTF: CSRF on every one). Labels are lazy so they follow the language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, StopValidation, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from registry.ownership import REPRESENTATIVES
from registry.purposes import Purpose

from portal.date_fields import BirthDateField
from portal.free_text import NoIdentifier
from portal.labels import CHANNEL_LABELS, PURPOSE_LABELS, REPRESENTATIVE_LABELS


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[
        DataRequired(_l("Saisissez votre adresse électronique.")),
        Length(max=254, message=_l("L'adresse électronique comporte au plus 254 caractères.")),
    ])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Saisissez votre mot de passe."))])


class CodeForm(FlaskForm):
    code = StringField(_l("Code à 6 chiffres"), validators=[
        DataRequired(_l("Saisissez le code affiché par votre application.")),
        Regexp(r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", message=_l("Le code comporte 6 chiffres.")),
    ])


class ActionForm(FlaskForm):
    """A button that changes something (sign-out, chain verification): CSRF only."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChoiceField(RadioField):
    """Radio buttons whose unknown value gets the field's own message, not a generic one."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise StopValidation(self.validators[0].message)


class AssistedFilingForm(FlaskForm):
    filed_for = ChoiceField(_l("La demande est faite"), choices=[
        SelectChoice("self", _l("Par la personne elle-même")),
        SelectChoice("minor", _l("Pour un enfant mineur, par son parent ou son tuteur")),
        SelectChoice("protected_adult", _l("Pour un majeur protégé, par son représentant légal")),
    ], default="self", validators=[DataRequired(_l("Indiquez qui fait la demande."))])
    identifier = StringField(_l("Numéro de sécurité sociale (NIR) de la personne"), validators=[
        DataRequired(_l("Saisissez le numéro de sécurité sociale de la personne.")),
        Length(max=40, message=_l("Le numéro de sécurité sociale comporte 15 caractères.")),
    ])
    sex = ChoiceField(_l("Sexe de la personne"), choices=[SelectChoice("female", _l("Femme")), SelectChoice("male", _l("Homme"))],
                     validators=[InputRequired(_l("Indiquez le sexe de la personne."))])
    birthdate = BirthDateField(_l("Date de naissance de la personne"))
    channel = ChoiceField(_l("Canal de la demande"), choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in ("counter", "phone", "post")],
                         validators=[InputRequired(_l("Indiquez par quel canal la personne a fait sa demande."))])
    request = ChoiceField(_l("Demande de la personne"), choices=[
        SelectChoice("all", _l("S'opposer à toutes les réutilisations")),
        SelectChoice("some", _l("S'opposer seulement à certaines réutilisations")),
        SelectChoice("withdraw", _l("Retirer son opposition")),
    ], default="all", validators=[InputRequired(_l("Indiquez la demande de la personne."))])
    purposes = MultiCheckboxField(_l("Réutilisations refusées"), choices=[SelectChoice(p.code, PURPOSE_LABELS[p]) for p in Purpose],
                                  validators=[Optional()])
    # Reducing or withdrawing speaks for the person: ``registry.ownership.agent_filing`` asks for it.
    evidence = BooleanField(_l("J'ai vérifié la pièce d'identité de la personne (au guichet) ou reçu sa copie (par courrier)"))
    # A child's or a protected adult's representative (``registry.ownership.agent_filing_for_represented``).
    representative = RadioField(_l("Qualité du représentant"), choices=[
        SelectChoice(code, label) for code, label in REPRESENTATIVE_LABELS.items()], validate_choice=False)
    representative_attests = BooleanField(_l(
        "Le représentant atteste sur l'honneur être le parent ou le représentant légal de la personne"))
    representative_checked = BooleanField(_l(
        "J'ai vérifié la pièce d'identité du représentant et le justificatif de sa qualité (au guichet) "
        "ou reçu leurs copies (par courrier)"))

    def validate_representative(self, field) -> None:
        if self.filed_for.data in REPRESENTATIVES and field.data not in REPRESENTATIVE_LABELS:
            raise ValidationError(_l("Indiquez la qualité du représentant : parent, tuteur, curateur ou personne habilitée."))

    def validate_representative_attests(self, field) -> None:
        if self.filed_for.data in REPRESENTATIVES and not field.data:
            raise ValidationError(_l("Le représentant doit attester sur l'honneur sa qualité, comme sur le formulaire papier."))



# Control characters (the NUL byte among them, which PostgreSQL refuses in text) are in no
# action, actor or target name.
_PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]*$", message=_l("Ce filtre contient des caractères non autorisés."))
_FILTER = [Optional(), Length(max=64), _PRINTABLE, NoIdentifier()]


class AuditFilterForm(FlaskForm):
    """Filters read from the query string (a GET form: nothing changes, so no CSRF)."""

    class Meta:
        csrf = False

    action = StringField(_l("Action (début du nom, par exemple staff. ou opposition.)"), validators=_FILTER)
    actor = StringField(_l("Auteur (par exemple staff:3)"), validators=_FILTER)
    target = StringField(_l("Cible (par exemple subject:12)"), validators=_FILTER)
    since = DateField(_l("Depuis le"), validators=[Optional()])
    until = DateField(_l("Jusqu'au"), validators=[Optional()])


class WarehouseForm(FlaskForm):
    name = StringField(_l("Nom de l'entrepôt"), validators=[
        DataRequired(_l("Saisissez le nom de l'entrepôt.")),
        Length(max=200, message=_l("Le nom comporte au plus 200 caractères.")),
        NoIdentifier(),
    ])
