"""Item statistics from per-question sums: exact, hidden below 30 answers, wrong keys flagged."""

import statistics

import pytest

from campaigns.item_statistics import MINIMUM_ANSWERS, item_statistics, record_quiz_result
from campaigns.learning_models import QuizItemAggregate
from campaigns.modules import default_catalogue
from campaigns.quiz import score_quiz

MODULE = default_catalogue().get("vos-donnees-de-sante", "en")
RIGHT = {"q-usages": ["a", "b"], "q-soins": ["false"], "q-motif": ["b"], "q-changer": ["true"]}
WRONG = {"q-usages": ["c"], "q-soins": ["true"], "q-motif": ["a"], "q-changer": ["false"]}


def take(session, answers):
    """One attempt that drew the questions of ``answers`` from the bank."""
    record_quiz_result(session, MODULE, score_quiz(MODULE, answers, answers))


def answered(stats):
    return [s for s in stats if s.question_id in RIGHT]


def test_below_thirty_answers_nothing_is_shown(session):
    for _ in range(MINIMUM_ANSWERS - 1):
        take(session, RIGHT)
    stats = item_statistics(session, MODULE)
    assert [s.answers for s in answered(stats)] == [29] * 4
    assert {s.answers for s in stats if s.question_id not in RIGHT} == {0}  # the bank's others, not drawn
    assert all(not s.shown and s.facility is None and s.discrimination is None for s in stats)


def test_facility_and_discrimination_match_a_direct_computation(session):
    sheets = [RIGHT] * 15 + [WRONG] * 10 + [dict(RIGHT, **{"q-changer": ["false"]})] * 5 \
        + [dict(WRONG, **{"q-usages": ["a"]})] * 5
    for sheet in sheets:
        take(session, sheet)
    stats = {s.question_id: s for s in item_statistics(session, MODULE)}
    results = [score_quiz(MODULE, sheet, sheet) for sheet in sheets]
    for qid in RIGHT:
        x = [next(r.credit for r in res.results if r.question_id == qid) for res in results]
        y = [res.rest_score(qid) for res in results]
        assert stats[qid].answers == 35
        assert stats[qid].facility == pytest.approx(statistics.mean(x))
        assert stats[qid].discrimination == pytest.approx(statistics.correlation(x, y))


def test_a_question_that_strong_people_miss_is_flagged(session):
    # the best performers all "miss" q-changer: what a wrong key looks like
    strong = dict(RIGHT, **{"q-changer": ["false"]})
    weak = dict(WRONG, **{"q-changer": ["true"]})
    for sheet in [strong] * 20 + [weak] * 15:
        take(session, sheet)
    stats = {s.question_id: s for s in item_statistics(session, MODULE)}
    assert "negative_discrimination" in stats["q-changer"].flags
    assert stats["q-changer"].suspicious
    assert not stats["q-motif"].suspicious


def test_identical_answers_give_no_discrimination_rather_than_an_error(session):
    for _ in range(MINIMUM_ANSWERS):
        take(session, RIGHT)
    stats = answered(item_statistics(session, MODULE))
    assert all(s.facility == 1.0 and s.discrimination is None and "too_easy" in s.flags for s in stats)


def test_only_sums_are_stored_one_row_per_question(session):
    take(session, RIGHT)
    take(session, WRONG)
    assert session.query(QuizItemAggregate).count() == len(RIGHT)
