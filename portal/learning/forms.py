"""Forms of the learning pages: a quiz form built from a module's questions, the verification form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from campaigns.modules import Question


class MultipleCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def field_name(question: Question) -> str:
    return "q_" + question.id.replace("-", "_")


def quiz_form(questions: tuple[Question, ...]) -> FlaskForm:
    """A form with one radio group (single, true/false) or checkbox group (multiple) per question."""

    class QuizForm(FlaskForm):
        pass

    for question in questions:
        choices = [SelectChoice(o.id, o.text) for o in question.options]
        if question.type == "multiple":
            field = MultipleCheckboxField(
                question.prompt, choices=choices,
                validators=[InputRequired(message=_l("Cochez au moins une réponse."))])
        else:
            field = RadioField(
                question.prompt, choices=choices,
                validators=[InputRequired(message=_l("Choisissez une réponse."))])
        setattr(QuizForm, field_name(question), field)
    return QuizForm()


def answers_of(form: FlaskForm, questions: tuple[Question, ...]) -> dict[str, list[str]]:
    answers = {}
    for question in questions:
        data = form[field_name(question)].data
        answers[question.id] = list(data) if isinstance(data, list) else ([data] if data else [])
    return answers


class VerificationForm(FlaskForm):
    code = StringField(_l("Code de vérification"), validators=[
        InputRequired(message=_l("Saisissez le code de vérification.")), Length(max=40)])
    score = StringField(_l("Score indiqué sur l'attestation (en %)"), validators=[
        InputRequired(message=_l("Saisissez le score.")), Length(max=8)])
