"""Module pages: list, overview, lessons, pre-test, quiz and result, in French and English.

Citizens' modules are anonymous: progress stays in the signed cookie and a finished quiz only adds
to the per-question sums. Professionals' modules record progress and attempts under the Pro Santé
Connect account, and a passed quiz earns an attestation.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from campaigns import learning
from campaigns.attestations import issue_attestation
from campaigns.item_statistics import record_quiz_result
from campaigns.modules import Module, default_catalogue
from campaigns.quiz import UnansweredQuestions, score_pre_test, score_quiz
from campaigns.reach import record_funnel_step
from registry.db import unit_of_work
from portal.auth import prosanteconnect
from portal.database import db
from portal.learning.forms import answers_of, field_name, quiz_form
from portal.learning.helpers import cookie_progress, current_professional, locale, module_or_404, read_progress
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
    return redirect(localized_url("pro.login", next=request.path))


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
    return render_template(
        "learning/module.html", module=module, seen=_lessons_seen(module), pre=pre,
        professional=professional, attempts_left=attempts_left,
        psc_enabled=prosanteconnect.enabled(),
    )


@bp.get("/<slug>/lecons/<lesson_id>")
def lesson(slug: str, lesson_id: str):
    module = module_or_404(slug)
    lesson = module.lesson(lesson_id)
    if lesson is None:
        abort(404)
    professional = current_professional() if _for_professionals(module) else None
    with unit_of_work(db.session()) as database:
        if professional is not None:
            learning.mark_lesson_seen(database, professional, module, lesson.id)
        else:
            seen = cookie_progress(module)["lessons"]
            if lesson.id not in seen:
                seen.append(lesson.id)
        record_funnel_step(database, "lesson_viewed", module.slug, module.audience)
    index = module.lessons.index(lesson)
    return render_template(
        "learning/lesson.html", module=module, lesson=lesson, number=index + 1,
        previous=module.lessons[index - 1] if index else None,
        next=module.lessons[index + 1] if index + 1 < len(module.lessons) else None,
    )


def _render_form(module: Module, form, kind: str, status: int = 200):
    questions = module.pre_test if kind == "pre_test" else module.questions
    fields = [(q, form[field_name(q)]) for q in questions]
    return render_template("learning/quiz.html", module=module, form=form, fields=fields, kind=kind), status


@bp.route("/<slug>/pre-test", methods=["GET", "POST"])
def pre_test(slug: str):
    module = module_or_404(slug)
    if not module.pre_test:
        abort(404)
    form = quiz_form(module.pre_test)
    if request.method == "GET" or not form.validate_on_submit():
        return _render_form(module, form, "pre_test", 200 if request.method == "GET" else 422)
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
    return redirect(localized_url("learning.module", slug=module.slug))


@bp.route("/<slug>/quiz", methods=["GET", "POST"])
def quiz(slug: str):
    module = module_or_404(slug)
    needs_login = _login_needed(module)
    if needs_login is not None:
        return needs_login
    professional = current_professional() if _for_professionals(module) else None
    if professional is not None and learning.attempts_left(db.session(), professional, module) == 0:
        flash(_("Vous avez utilisé toutes les tentatives permises pour cette version du module."), "warning")
        return redirect(localized_url("learning.module", slug=module.slug))
    form = quiz_form(module.questions)
    if request.method == "GET":
        if professional is not None:  # the attempt's start, for the attempt record
            cookie_progress(module)["started"] = dt.datetime.now(dt.timezone.utc).isoformat()
        with unit_of_work(db.session()) as database:
            record_funnel_step(database, "quiz_started", module.slug, module.audience)
        return _render_form(module, form, "quiz")
    if not form.validate_on_submit():
        return _render_form(module, form, "quiz", 422)
    answers = answers_of(form, module.questions)
    progress = cookie_progress(module)
    try:
        with unit_of_work(db.session()) as database:
            if professional is not None:
                attempt, result = learning.record_attempt(database, professional, module, answers,
                                                          _started_at(progress))
                if result.passed:
                    issue_attestation(database, attempt, module)
            else:
                result = score_quiz(module, answers)
                record_quiz_result(database, module, result)
            record_funnel_step(database, "quiz_completed", module.slug, module.audience)
            if result.passed:
                record_funnel_step(database, "quiz_passed", module.slug, module.audience)
    except UnansweredQuestions:
        return _render_form(module, form, "quiz", 422)
    progress["last"] = answers
    progress.pop("started", None)
    return redirect(localized_url("learning.result", slug=module.slug))


def _started_at(progress: dict) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(progress["started"])
    except (KeyError, TypeError, ValueError):
        return None


@bp.get("/<slug>/resultat")
def result(slug: str):
    module = module_or_404(slug)
    progress = read_progress(module)
    answers = progress.get("last")
    attestation = None
    professional = current_professional() if _for_professionals(module) else None
    if professional is not None:
        attempts = learning.attempts_of(db.session(), professional, module)
        if attempts:
            answers = json.loads(attempts[-1].answers)
        attestation = next((a.attestation for a in attempts if a.attestation is not None), None)
    if not answers:
        flash(_("Vous n'avez pas encore passé ce quiz."), "info")
        return redirect(localized_url("learning.module", slug=module.slug))
    try:
        outcome = score_quiz(module, answers)
    except (UnansweredQuestions, ValueError):
        abort(404)
    pre = progress.get("pre")
    comparison = None
    if pre:
        same_skills = [r.credit for q, r in zip(module.questions, outcome.results) if q.skill in pre["skills"]]
        if same_skills:
            comparison = (pre["score"], int(100 * sum(same_skills) / len(same_skills)))
    attempts_left = learning.attempts_left(db.session(), professional, module) if professional else None
    return render_template(
        "learning/result.html", module=module, outcome=outcome,
        items=[(q, r) for q, r in zip(module.questions, outcome.results)],
        pre=pre, comparison=comparison, attestation=attestation, professional=professional,
        attempts_left=attempts_left,
    )
