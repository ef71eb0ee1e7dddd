"""Scoring of quizzes: one rule per question type, the same for citizens and professionals.

Single-choice and true/false questions earn 1 or 0. A multiple-choice question earns partial
credit: the share of right options ticked, minus the share of wrong options ticked, never below 0.
Ticking everything therefore earns 0, as does ticking nothing, and one slip costs less than
missing the point. A question counts as *right* only when the ticked set is exactly the right one.
The quiz score is the mean credit, as a whole percentage rounded down, so that a pass is never
granted by rounding.

An attempt does not ask the whole bank: ``draw_questions`` picks ``quiz_length`` questions,
spread over the skills (one per skill in turn, skills and questions in random order), so that
two attempts usually differ and each still covers as many skills as its length allows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from campaigns.modules import Module, Question


class AnswerError(ValueError):
    """Answers that cannot be scored; ``code`` is stable, the web layer words the message."""

    code = "invalid_answer"


class UnknownOption(AnswerError):
    code = "unknown_option"


class TooManyChoices(AnswerError):
    code = "too_many_choices"


class UnansweredQuestions(AnswerError):
    code = "unanswered"

    def __init__(self, question_ids: list[str]) -> None:
        super().__init__(f"unanswered questions: {', '.join(question_ids)}")
        self.question_ids = question_ids


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    selected: frozenset[str]
    credit: float

    @property
    def right(self) -> bool:
        return self.credit == 1.0


@dataclass(frozen=True)
class QuizResult:
    """The outcome of one attempt; ``rest_scores`` feed the item statistics (discrimination)."""

    results: tuple[QuestionResult, ...]
    score: int
    pass_mark: int

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark

    @property
    def total_credit(self) -> float:
        return sum(r.credit for r in self.results)

    def rest_score(self, question_id: str) -> float:
        """The credit earned on every other question: the criterion an item is correlated with."""
        return sum(r.credit for r in self.results if r.question_id != question_id)

    def by_skill(self, questions: Iterable[Question]) -> dict[str, float]:
        """Mean credit per skill, to compare a pre-test with the quiz on the same skills."""
        return skill_profile(questions, self.results)


def score_question(question: Question, selected: Iterable[str]) -> QuestionResult:
    """Credit for one question, from 0 to 1; unknown options or extra choices are refused."""
    chosen = frozenset(selected)
    unknown = chosen - question.option_ids
    if unknown:
        raise UnknownOption(f"question {question.id}: unknown option")
    if question.type in ("single", "true_false") and len(chosen) > 1:
        raise TooManyChoices(f"question {question.id}: one answer only")
    right = question.correct_ids
    if question.type != "multiple":
        return QuestionResult(question.id, chosen, 1.0 if chosen == right else 0.0)
    wrong = question.option_ids - right
    credit = len(chosen & right) / len(right) - len(chosen & wrong) / len(wrong)
    return QuestionResult(question.id, chosen, max(0.0, round(credit, 6)))


def score_answers(questions: tuple[Question, ...], answers: Mapping[str, Iterable[str]],
                  pass_mark: int) -> QuizResult:
    """Score a full set of answers; every question must have at least one choice."""
    missing = [q.id for q in questions if not frozenset(answers.get(q.id) or ())]
    if missing:
        raise UnansweredQuestions(missing)
    results = tuple(score_question(q, answers[q.id]) for q in questions)
    score = math.floor(100 * sum(r.credit for r in results) / len(results) + 1e-9)
    return QuizResult(results, score, pass_mark)


def score_quiz(module: Module, answers: Mapping[str, Iterable[str]],
               drawn: Iterable[str] | None = None) -> QuizResult:
    """An attempt of the module's quiz: every question it ``drawn`` (ids from the bank; the whole
    bank when not given) must be answered. ``KeyError`` when a drawn id is not in the bank."""
    questions = module.questions if drawn is None else module.quiz_questions(drawn)
    return score_answers(questions, answers, module.pass_mark)


def draw_questions(module: Module, rng: random.Random | None = None) -> tuple[str, ...]:
    """The ids of the questions of one attempt, in bank order, drawn across the skills."""
    rng = rng or random.SystemRandom()
    by_skill: dict[str, list[Question]] = {}
    for question in module.questions:
        by_skill.setdefault(question.skill, []).append(question)
    pools = list(by_skill.values())
    rng.shuffle(pools)
    for pool in pools:
        rng.shuffle(pool)
    chosen: set[str] = set()
    while len(chosen) < module.quiz_length:
        for pool in pools:
            if pool and len(chosen) < module.quiz_length:
                chosen.add(pool.pop().id)
    return tuple(q.id for q in module.questions if q.id in chosen)


def score_pre_test(module: Module, answers: Mapping[str, Iterable[str]]) -> QuizResult:
    """The short pre-test: scored the same way, never passed or failed, only compared."""
    return score_answers(module.pre_test, answers, 0)


def skill_profile(questions: Iterable[Question], results: Iterable[QuestionResult]) -> dict[str, float]:
    skills = {q.id: q.skill for q in questions}
    totals: dict[str, list[float]] = {}
    for result in results:
        totals.setdefault(skills[result.question_id], []).append(result.credit)
    return {skill: sum(values) / len(values) for skill, values in totals.items()}
