"""Module pages: list, overview, lessons, pre-test, quiz and result, in French and English.

Citizens' modules are anonymous: progress stays in the signed cookie and a finished quiz only adds
to the per-question sums. Professionals' modules record progress and attempts under the Pro Santé
Connect account, and a passed quiz earns an attestation.

Each attempt answers questions drawn from the module's bank; a professional's failed attempt
names the questions missed and the lessons to reread, never the right answers, and the next
attempt waits ``LEARNING_RETAKE_WAIT_MINUTES``. A citizen may retry at once and sees the full
correction. A visit that came from a campaign placement carries its code (``via``) from link to
link and counts each funnel step for it (``portal.campaigns.counting``).
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from campaigns import learning
from campaigns.attestations import issue_attestation
from campaigns.item_statistics import record_quiz_result
from campaigns.modules import READING_WORDS_PER_MINUTE, Module, default_catalogue
from campaigns.quiz import AnswerError, draw_questions, score_pre_test, score_quiz
from registry.db import unit_of_work
from portal.auth import prosanteconnect
from portal.campaigns.counting import carried_code, count_funnel_step
from portal.database import db
from portal.learning.forms import answers_of, field_name, quiz_form
from portal.learning.helpers import (
    cookie_progress, current_professional, locale, module_or_404, paris_moment, read_progress, retake_wait,
)
from portal.pages import localized_url

bp = Blueprint("learning", __name__)


def _for_professionals(module: Module) -> bool:
    return module.audience == "professionals"


def _lessons_seen(module: Module) -> list[str]:
    professional = current_professional()
    if _for_professionals(module) and professional is not None:
        return learning.lessons_seen(learning.progress_for(db.session(), professional, module))
    return read_progress(module)["lessons"]


def _login_needed(module: Module):
    """For a professionals' quiz without an account: the way to log in (or None when logged in)."""
    if not _for_professionals(module) or current_professional() is not None:
        return None
    flash(_("Connectez-vous avec Pro Santé Connect pour passer le quiz et obtenir une attestation."), "info")
    return redirect(localized_url("pro.login", next=localized_url("learning.quiz", slug=module.slug,
                                                                   via=carried_code())))


@bp.get("/")
def index():
    catalogue = default_catalogue()
    return render_template(
        "learning/index.html",
        citizens=catalogue.for_audience("citizens", locale()),
        professionals=catalogue.for_audience("professionals", locale()),
    )


@bp.get("/<slug>/")
def module(slug: str):
    module = module_or_404(slug)
    professional = current_professional() if _for_professionals(module) else None
    attempts_left = None
    pre = read_progress(module).get("pre")
    if professional is not None:
        with unit_of_work(db.session()) as database:  # the progress row is made at the first visit
            attempts_left = learning.attempts_left(database, professional, module)
            saved = learning.progress_for(database, professional, module)
        if pre is None and saved.pre_test_score is not None:
            pre = {"score": saved.pre_test_score}  # done on another device: the score is what was kept
    allowed_at = _retake_allowed_at(module, professional)
    return render_template(
        "learning/module.html", module=module, seen=_lessons_seen(module), pre=pre,
        professional=professional, attempts_left=attempts_left,
        psc_enabled=prosanteconnect.enabled(), via=carried_code(), reading_speed=READING_WORDS_PER_MINUTE,
        retake_at=paris_moment(allowed_at) if allowed_at else None,
    )


def _retake_allowed_at(module: Module, professional) -> dt.datetime | None:
    if professional is None:
        return None
    return learning.next_attempt_allowed_at(db.session(), professional, module, retake_wait())


@bp.get("/<slug>/lecons/<lesson_id>")
def lesson(slug: str, lesson_id: str):
    module = module_or_404(slug)
    lesson = module.lesson(lesson_id)
    if lesson is None:
        abort(404)
    professional = current_professional() if _for_professionals(module) else None
    index = module.lessons.index(lesson)
    with unit_of_work(db.session()) as database:
        if professional is not None:
            learning.mark_lesson_seen(database, professional, module, lesson.id)
        else:
            seen = cookie_progress(module)["lessons"]
            if lesson.id not in seen:
                seen.append(lesson.id)
        if index == 0:  # where the campaign page and the module send readers: one count per visit
            count_funnel_step(database, "lesson_viewed")
    return render_template(
        "learning/lesson.html", module=module, lesson=lesson, number=index + 1,
        previous=module.lessons[index - 1] if index else None,
        next=module.lessons[index + 1] if index + 1 < len(module.lessons) else None,
        via=carried_code(),
    )


def _render_form(module: Module, form, kind: str, questions, status: int = 200):
    fields = [(q, form[field_name(q)]) for q in questions]
    return render_template("learning/quiz.html", module=module, form=form, fields=fields, kind=kind,
                           via=carried_code()), status


@bp.route("/<slug>/pre-test", methods=["GET", "POST"])
def pre_test(slug: str):
    module = module_or_404(slug)
    if not module.pre_test:
        abort(404)
    form = quiz_form(module.pre_test)
    if request.method == "GET" or not form.validate_on_submit():
        return _render_form(module, form, "pre_test", module.pre_test, 200 if request.method == "GET" else 422)
    answers = answers_of(form, module.pre_test)
    professional = current_professional() if _for_professionals(module) else None
    if professional is not None:
        with unit_of_work(db.session()) as database:
            result = learning.record_pre_test(database, professional, module, answers)
    else:
        result = score_pre_test(module, answers)
    progress = cookie_progress(module)
    progress.setdefault("pre", {"score": result.score, "skills": result.by_skill(module.pre_test)})
    flash(_("Pré-test terminé : %(score)s %% de bonnes réponses. Lisez maintenant les leçons, puis passez le quiz.",
            score=result.score), "success")
    return redirect(localized_url("learning.module", slug=module.slug, via=carried_code()))


def _citizens_draw(module: Module, *, draw_if_none: bool) -> tuple[str, ...] | None:
    """A citizen's drawn questions, kept with their progress in the browser only."""
    drawn = read_progress(module).get("draw")
    try:
        if drawn:
            module.quiz_questions(drawn)
            return tuple(drawn)
    except (KeyError, TypeError):
        pass
    if not draw_if_none:
        return None
    drawn = draw_questions(module)
    cookie_progress(module)["draw"] = list(drawn)
    return drawn


def _refused(module: Module, error: learning.LearningError):
    if isinstance(error, learning.RetakeTooSoon):
        flash(_("Vous pourrez repasser le quiz à partir de %(time)s (heure de Paris) le %(date)s. "
                "Relisez d'ici là les leçons des questions manquées.", **paris_moment(error.allowed_at)), "warning")
    elif isinstance(error, learning.NoAttemptsLeft):
        flash(_("Vous avez utilisé toutes les tentatives permises pour cette version du module."), "warning")
    return redirect(localized_url("learning.module", slug=module.slug, via=carried_code()))


@bp.route("/<slug>/quiz", methods=["GET", "POST"])
def quiz(slug: str):
    module = module_or_404(slug)
    needs_login = _login_needed(module)
    if needs_login is not None:
        return needs_login
    professional = current_professional() if _for_professionals(module) else None
    if request.method == "GET":
        with unit_of_work(db.session()) as database:
            if professional is not None:
                try:
                    drawn, _new = learning.start_attempt(database, professional, module, retake_wait())
                except (learning.RetakeTooSoon, learning.NoAttemptsLeft) as error:
                    return _refused(module, error)
            else:
                drawn = _citizens_draw(module, draw_if_none=True)
            count_funnel_step(database, "quiz_started")
        questions = module.quiz_questions(drawn)
        return _render_form(module, quiz_form(questions), "quiz", questions)

    if professional is not None:
        drawn = learning.drawn_quiz(db.session(), professional, module)
    else:
        drawn = _citizens_draw(module, draw_if_none=False)
    if drawn is None:
        flash(_("Ces réponses ne correspondent à aucun quiz en cours (il a peut-être déjà été envoyé). "
                "Voici le quiz à passer."), "info")
        return redirect(localized_url("learning.quiz", slug=module.slug, via=carried_code()))
    questions = module.quiz_questions(drawn)
    form = quiz_form(questions)
    if not form.validate_on_submit():
        return _render_form(module, form, "quiz", questions, 422)
    answers = answers_of(form, questions)
    try:
        with unit_of_work(db.session()) as database:
            if professional is not None:
                attempt, result = learning.record_attempt(database, professional, module, answers, retake_wait())
                if result.passed:
                    issue_attestation(database, attempt, module)
            else:
                result = score_quiz(module, answers, drawn)
                record_quiz_result(database, module, result)
            count_funnel_step(database, "quiz_completed")
            if result.passed:
                count_funnel_step(database, "quiz_passed")
    except (learning.RetakeTooSoon, learning.NoAttemptsLeft) as error:
        return _refused(module, error)
    except AnswerError:
        return _render_form(module, form, "quiz", questions, 422)
    if professional is None:
        progress = cookie_progress(module)
        progress["last"] = answers
        progress.pop("draw", None)
    return redirect(localized_url("learning.result", slug=module.slug, via=carried_code()))


@bp.get("/<slug>/resultat")
def result(slug: str):
    module = module_or_404(slug)
    progress = read_progress(module)
    answers = progress.get("last")
    attestation = None
    professional = current_professional() if _for_professionals(module) else None
    if professional is not None:
        attempts = learning.attempts_of(db.session(), professional, module)
        answers = json.loads(attempts[-1].answers) if attempts else None
        attestation = next((a.attestation for a in attempts if a.attestation is not None), None)
    if not answers or not isinstance(answers, dict):
        flash(_("Vous n'avez pas encore passé ce quiz."), "info")
        return redirect(localized_url("learning.module", slug=module.slug))
    try:
        outcome = score_quiz(module, answers, answers.keys())
        questions = module.quiz_questions(answers.keys())
    except (AnswerError, KeyError, TypeError):
        abort(404)
    pre = progress.get("pre")
    comparison = None
    if pre:
        same_skills = [r.credit for q, r in zip(questions, outcome.results) if q.skill in pre["skills"]]
        if same_skills:
            comparison = (pre["score"], int(100 * sum(same_skills) / len(same_skills)))
    attempts_left = learning.attempts_left(db.session(), professional, module) if professional else None
    allowed_at = _retake_allowed_at(module, professional)
    items = list(zip(questions, outcome.results))
    missed = [(q, r) for q, r in items if not r.right]
    return render_template(
        "learning/result.html", module=module, outcome=outcome, items=items,
        pre=pre, comparison=comparison, attestation=attestation, professional=professional,
        attempts_left=attempts_left, via=carried_code(),
        retake_at=paris_moment(allowed_at) if allowed_at else None,
        # a professional's failed attempt: what was missed and where to reread it, not the answers
        hide_answers=professional is not None and not outcome.passed,
        missed=missed,
    )
