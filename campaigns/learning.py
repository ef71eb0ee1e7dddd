"""Professionals' learning: their account, their progress through a module, their quiz attempts.

A professional is known by (issuer, subject) from Pro Santé Connect; the professional identifier
and name are refreshed at each login because the attestation must carry the current ones.
Progress (lessons read, pre-test score) is saved per module version so that a professional can
stop and come back. Attempts are limited by the module's ``max_attempts``, per version.

Each attempt answers the questions drawn for it when the quiz was opened (``start_attempt``),
kept on the progress row until the attempt is recorded: reloading the quiz shows the same draw,
so that an easier one cannot be fished for. After an attempt a professional waits before the
next one (``wait``, a setting of the web layer), long enough to reread the lessons rather than
try answers in turn.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.item_statistics import record_quiz_result
from campaigns.learning_models import Attestation, ModuleProgress, Professional, QuizAttempt
from campaigns.modules import Module
from campaigns.quiz import QuizResult, draw_questions, score_pre_test, score_quiz
from registry.models import utcnow


class LearningError(Exception):
    code = "learning_error"


class NoAttemptsLeft(LearningError):
    code = "no_attempts_left"


class RetakeTooSoon(LearningError):
    """The previous attempt ended less than the waiting time ago; ``allowed_at`` says when."""

    code = "retake_too_soon"

    def __init__(self, allowed_at: dt.datetime) -> None:
        super().__init__("the next attempt is not allowed yet")
        self.allowed_at = allowed_at


class NoQuizOpened(LearningError):
    """Answers came for no drawn quiz (it was already answered, or never opened)."""

    code = "no_quiz_opened"


class NotForProfessionals(LearningError):
    code = "not_for_professionals"


class IncompleteIdentity(LearningError):
    """The identity provider did not give the professional identifier or the name."""

    code = "incomplete_identity"


@dataclass(frozen=True)
class ProfessionalIdentity:
    """What the web layer extracted from the provider's claims."""

    issuer: str
    subject: str
    professional_identifier: str
    given_name: str
    family_name: str
    profession: str | None


def sign_in_professional(session: Session, identity: ProfessionalIdentity) -> Professional:
    """Find or create the professional's account and refresh what the attestation will show."""
    if not identity.subject or not identity.professional_identifier or not identity.family_name:
        raise IncompleteIdentity("the identity lacks the subject, professional identifier or name")
    professional = session.scalar(
        select(Professional).filter_by(issuer=identity.issuer, subject=identity.subject)
    )
    if professional is None:
        professional = Professional(issuer=identity.issuer, subject=identity.subject)
        session.add(professional)
    professional.professional_identifier = identity.professional_identifier
    professional.given_name = identity.given_name
    professional.family_name = identity.family_name
    professional.profession = identity.profession
    professional.last_login_at = utcnow()
    session.flush()
    return professional


def progress_for(session: Session, professional: Professional, module: Module) -> ModuleProgress:
    """The professional's progress in this module version, created when they first open it."""
    progress = session.scalar(select(ModuleProgress).filter_by(
        professional_id=professional.id, module_slug=module.slug, module_version=module.version))
    if progress is None:
        progress = ModuleProgress(professional_id=professional.id, module_slug=module.slug,
                                  module_version=module.version, lessons_seen="[]")
        session.add(progress)
        session.flush()
    return progress


def lessons_seen(progress: ModuleProgress) -> list[str]:
    return json.loads(progress.lessons_seen or "[]")


def mark_lesson_seen(session: Session, professional: Professional, module: Module, lesson_id: str) -> None:
    progress = progress_for(session, professional, module)
    seen = lessons_seen(progress)
    if lesson_id not in seen:
        progress.lessons_seen = json.dumps(seen + [lesson_id])
        session.flush()


def record_pre_test(session: Session, professional: Professional, module: Module,
                    answers: Mapping[str, Iterable[str]]) -> QuizResult:
    """Score and keep the pre-test (the first one counts: it is the baseline)."""
    result = score_pre_test(module, answers)
    progress = progress_for(session, professional, module)
    if progress.pre_test_score is None:
        progress.pre_test_score = result.score
        session.flush()
    return result


def attempts_used(session: Session, professional: Professional, module: Module) -> int:
    return session.scalar(select(func.count(QuizAttempt.id)).filter_by(
        professional_id=professional.id, module_slug=module.slug, module_version=module.version)) or 0


def attempts_left(session: Session, professional: Professional, module: Module) -> int | None:
    """None when the module sets no limit."""
    if module.max_attempts is None:
        return None
    return max(0, module.max_attempts - attempts_used(session, professional, module))


def next_attempt_allowed_at(session: Session, professional: Professional, module: Module,
                            wait: dt.timedelta) -> dt.datetime | None:
    """When the next attempt may start, if that is still to come; None when it may start now."""
    last = session.scalar(select(func.max(QuizAttempt.completed_at)).filter_by(
        professional_id=professional.id, module_slug=module.slug, module_version=module.version))
    if last is None or wait <= dt.timedelta(0):
        return None
    if last.tzinfo is None:
        last = last.replace(tzinfo=dt.timezone.utc)
    allowed_at = last + wait
    return allowed_at if allowed_at > utcnow() else None


def _check_may_attempt(session: Session, professional: Professional, module: Module, wait: dt.timedelta) -> None:
    if module.audience != "professionals":
        raise NotForProfessionals("this module is for citizens and is taken anonymously")
    if attempts_left(session, professional, module) == 0:
        raise NoAttemptsLeft("every attempt allowed for this module version has been used")
    allowed_at = next_attempt_allowed_at(session, professional, module, wait)
    if allowed_at is not None:
        raise RetakeTooSoon(allowed_at)


def drawn_quiz(session: Session, professional: Professional, module: Module) -> tuple[str, ...] | None:
    """The question ids drawn for the attempt under way, if one was opened."""
    progress = progress_for(session, professional, module)
    return tuple(json.loads(progress.quiz_draw)) if progress.quiz_draw else None


def start_attempt(session: Session, professional: Professional, module: Module,
                  wait: dt.timedelta = dt.timedelta(0)) -> tuple[tuple[str, ...], bool]:
    """The questions of the attempt under way, drawn now when none is (then ``True``).

    Refused like ``record_attempt`` when no attempt is left or the wait is not over."""
    _check_may_attempt(session, professional, module, wait)
    progress = progress_for(session, professional, module)
    if progress.quiz_draw:
        return tuple(json.loads(progress.quiz_draw)), False
    drawn = draw_questions(module)
    progress.quiz_draw = json.dumps(list(drawn))
    progress.quiz_started_at = utcnow()
    session.flush()
    return drawn, True


def record_attempt(session: Session, professional: Professional, module: Module,
                   answers: Mapping[str, Iterable[str]],
                   wait: dt.timedelta = dt.timedelta(0)) -> tuple[QuizAttempt, QuizResult]:
    """Score the attempt under way on its drawn questions, store it (the draw is then spent)
    and add it to the item statistics."""
    _check_may_attempt(session, professional, module, wait)
    progress = progress_for(session, professional, module)
    if not progress.quiz_draw:
        raise NoQuizOpened("no quiz was opened for these answers")
    result = score_quiz(module, answers, json.loads(progress.quiz_draw))
    now = utcnow()
    started_at = progress.quiz_started_at or progress.started_at
    progress.quiz_draw = None
    progress.quiz_started_at = None
    attempt = QuizAttempt(
        professional_id=professional.id, module_slug=module.slug, module_version=module.version,
        locale=module.locale, number=attempts_used(session, professional, module) + 1,
        started_at=started_at, completed_at=now, score=result.score, passed=result.passed,
        answers=json.dumps({r.question_id: sorted(r.selected) for r in result.results}, sort_keys=True),
    )
    session.add(attempt)
    record_quiz_result(session, module, result)
    session.flush()
    return attempt, result


def attempts_of(session: Session, professional: Professional, module: Module) -> list[QuizAttempt]:
    return list(session.scalars(select(QuizAttempt).filter_by(
        professional_id=professional.id, module_slug=module.slug, module_version=module.version)
        .order_by(QuizAttempt.number)))


def completed_modules(session: Session, professional: Professional) -> list[Attestation]:
    """One attestation per module version passed, oldest first: the continuing-education record."""
    return list(session.scalars(
        select(Attestation).join(QuizAttempt).where(QuizAttempt.professional_id == professional.id)
        .order_by(Attestation.completed_at, Attestation.id)))
