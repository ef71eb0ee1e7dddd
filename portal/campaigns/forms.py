"""Campaign-manager forms. Parsing errors and the domain's error codes both become one
translated message on the field concerned."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from campaigns.models import AUDIENCES, CHANNELS

from portal.free_text import NoIdentifier

AUDIENCE_LABELS = {"citizens": _l("Citoyens"), "professionals": _l("Professionnels de santé")}
CHANNEL_LABELS = {
    "qr_poster": _l("Affiche avec QR code"),
    "email": _l("Courriel"),
    "social": _l("Réseaux sociaux"),
    "radio": _l("Radio"),
    "press": _l("Presse"),
    "partner": _l("Partenaire"),
    "event": _l("Événement"),
}
LOCALE_LABELS = {"fr": _l("Français"), "en": _l("Anglais")}
STEP_LABELS = {
    "arrival": _l("Arrivées"),
    "lesson_viewed": _l("Leçon consultée"),
    "quiz_started": _l("Quiz commencé"),
    "quiz_completed": _l("Quiz terminé"),
    "quiz_passed": _l("Quiz réussi"),
}

PROBLEM_MESSAGES = {
    ("slug", "invalid_slug"): _l("L'adresse courte comporte des lettres minuscules sans accent, des chiffres et des tirets (64 caractères au plus)."),
    ("slug", "slug_taken"): _l("Une autre campagne utilise déjà cette adresse courte."),
    ("audience", "invalid_audience"): _l("Choisissez le public de la campagne."),
    ("starts_on", "required"): _l("Saisissez la date de début."),
    ("ends_on", "required"): _l("Saisissez la date de fin."),
    ("ends_on", "ends_before_start"): _l("La date de fin doit suivre la date de début."),
    ("title_fr", "required"): _l("Saisissez le titre en français."),
    ("title_en", "required"): _l("Saisissez le titre en anglais."),
    ("body_fr", "required"): _l("Saisissez le texte de la page en français."),
    ("body_en", "required"): _l("Saisissez le texte de la page en anglais."),
    ("channel", "invalid_channel"): _l("Choisissez le canal."),
    ("locale", "invalid_locale"): _l("Choisissez la langue de la page d'arrivée."),
    ("label", "required"): _l("Saisissez un nom pour cet emplacement."),
    ("code", "invalid_code"): _l("Le code comporte des lettres minuscules sans accent, des chiffres et des tirets (32 caractères au plus)."),
    ("code", "code_taken"): _l("Un autre emplacement utilise déjà ce code."),
    ("declared_reach", "invalid_reach"): _l("La portée déclarée est un nombre entier positif."),
}
TOO_LONG = _l("Ce texte est trop long.")


def show_problems(form: FlaskForm, problems: dict[str, str]) -> None:
    """Put each domain error code on its field, as a translated message."""
    for name, code in problems.items():
        message = PROBLEM_MESSAGES.get((name, code), TOO_LONG)
        field = getattr(form, name, None)
        if field is not None and not field.errors:  # a parsing message already says it
            field.errors = [*field.errors, str(message)]


class FrenchDateField(StringField):
    """An ``<input type="date">`` (ISO) that also accepts DD/MM/YYYY; bad input gets a clear message."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw = raw
        if not raw:
            return
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                self.data = dt.datetime.strptime(raw, pattern).date()
                return
            except ValueError:
                continue
        raise ValueError(_l("Saisissez une date valide, par exemple 31/12/2026."))

    def _value(self):
        if isinstance(self.data, dt.date):
            return self.data.isoformat()
        return getattr(self, "raw", "") or ""


class OptionalCountField(StringField):
    """A whole number that may be left empty ("5 000" and "5,000" are understood)."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw = raw
        if not raw:
            return
        digits = raw.replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(",", "").replace(".", "")
        if not digits.isdigit():
            raise ValueError(_l("La portée déclarée est un nombre entier positif."))
        self.data = int(digits)

    def _value(self):
        return str(self.data) if self.data is not None else (getattr(self, "raw", "") or "")


class CampaignForm(FlaskForm):
    slug = StringField(_l("Adresse courte de la page"))
    audience = RadioField(_l("Public"), choices=[SelectChoice(a, AUDIENCE_LABELS[a]) for a in AUDIENCES],
                          validate_choice=False)
    starts_on = FrenchDateField(_l("Date de début"))
    ends_on = FrenchDateField(_l("Date de fin"))
    title_fr = StringField(_l("Titre en français"), validators=[NoIdentifier()])
    title_en = StringField(_l("Titre en anglais"), validators=[NoIdentifier()])
    body_fr = TextAreaField(_l("Texte de la page en français (Markdown)"), validators=[NoIdentifier()])
    body_en = TextAreaField(_l("Texte de la page en anglais (Markdown)"), validators=[NoIdentifier()])


class PlacementForm(FlaskForm):
    label = StringField(_l("Nom de l'emplacement"), validators=[NoIdentifier()])
    channel = SelectField(_l("Canal"), choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS],
                          validate_choice=False)
    locale = SelectField(_l("Langue de la page d'arrivée"), choices=[SelectChoice(k, v) for k, v in LOCALE_LABELS.items()],
                         validate_choice=False)
    code = StringField(_l("Code du lien court"))
    declared_reach = OptionalCountField(_l("Portée déclarée"))
    declared_reach_note = StringField(_l("Précision sur la portée déclarée"), validators=[NoIdentifier()])
