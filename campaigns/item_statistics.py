"""Item statistics: how hard each question is and whether it separates those who know from those who do not.

Every completed quiz (anonymous citizen or professional) adds to five running sums per question
(``QuizItemAggregate``); no answer sheet is kept for citizens, yet the statistics are exact:

- facility: the mean credit on the question (0: nobody gets it, 1: everybody does);
- discrimination: the Pearson correlation between the credit on the question and the credit on
  the quiz's other questions (corrected item-total correlation). A question that good performers
  miss more often than weak ones (negative value) usually has a wrong key or a misleading wording.

Figures are shown only from ``MINIMUM_ANSWERS`` answers: below that they mean nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaigns.learning_models import QuizItemAggregate
from campaigns.modules import Module
from campaigns.quiz import QuizResult

MINIMUM_ANSWERS = 30
TOO_HARD = 0.30
TOO_EASY = 0.95
WEAK_DISCRIMINATION = 0.20


def record_quiz_result(session: Session, module: Module, result: QuizResult) -> None:
    """Add one completed quiz to the per-question sums (atomic increments, safe under concurrency)."""
    for item in result.results:
        key = dict(module_slug=module.slug, module_version=module.version, question_id=item.question_id)
        _ensure_row(session, key)
        x, y = item.credit, result.rest_score(item.question_id)
        session.execute(
            update(QuizItemAggregate)
            .filter_by(**key)
            .values(
                answers=QuizItemAggregate.answers + 1,
                sum_credit=QuizItemAggregate.sum_credit + x,
                sum_credit_sq=QuizItemAggregate.sum_credit_sq + x * x,
                sum_rest=QuizItemAggregate.sum_rest + y,
                sum_rest_sq=QuizItemAggregate.sum_rest_sq + y * y,
                sum_credit_rest=QuizItemAggregate.sum_credit_rest + x * y,
            )
            .execution_options(synchronize_session=False)
        )
    session.flush()


def _ensure_row(session: Session, key: dict) -> None:
    if session.scalar(select(QuizItemAggregate.id).filter_by(**key)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(QuizItemAggregate(**key, answers=0, sum_credit=0.0, sum_credit_sq=0.0, sum_rest=0.0,
                                          sum_rest_sq=0.0, sum_credit_rest=0.0))
    except IntegrityError:
        pass  # another request created it first; the increment below applies to that row


@dataclass(frozen=True)
class ItemStatistic:
    """One question's figures; ``facility`` and ``discrimination`` are None below the threshold."""

    question_id: str
    prompt: str
    question_type: str
    answers: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]

    @property
    def shown(self) -> bool:
        return self.answers >= MINIMUM_ANSWERS

    @property
    def suspicious(self) -> bool:
        return "negative_discrimination" in self.flags or "too_hard" in self.flags


def _correlation(n: int, sx: float, sxx: float, sy: float, syy: float, sxy: float) -> float | None:
    var_x = n * sxx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None  # everybody scored the same: no correlation can be measured
    return (n * sxy - sx * sy) / math.sqrt(var_x * var_y)


def _flags(facility: float, discrimination: float | None) -> tuple[str, ...]:
    flags = []
    if facility < TOO_HARD:
        flags.append("too_hard")
    if facility > TOO_EASY:
        flags.append("too_easy")
    if discrimination is not None and discrimination < 0:
        flags.append("negative_discrimination")
    elif discrimination is not None and discrimination < WEAK_DISCRIMINATION:
        flags.append("weak_discrimination")
    return tuple(flags)


def item_statistics(session: Session, module: Module) -> list[ItemStatistic]:
    """Figures for every quiz question of one module version, in the module's order."""
    rows = {
        row.question_id: row
        for row in session.scalars(
            select(QuizItemAggregate).filter_by(module_slug=module.slug, module_version=module.version)
        )
    }
    statistics = []
    for question in module.questions:
        row = rows.get(question.id)
        n = row.answers if row else 0
        facility = discrimination = None
        flags: tuple[str, ...] = ()
        if n >= MINIMUM_ANSWERS:
            facility = row.sum_credit / n
            discrimination = _correlation(n, row.sum_credit, row.sum_credit_sq, row.sum_rest, row.sum_rest_sq,
                                          row.sum_credit_rest)
            flags = _flags(facility, discrimination)
        statistics.append(ItemStatistic(question.id, question.prompt, question.type, n, facility,
                                        discrimination, flags))
    return statistics
