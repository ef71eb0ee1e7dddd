"""Scoring rules, one question type at a time, including partly right multiple-choice answers."""

import pytest

from campaigns.modules import Option, Question
from campaigns.quiz import (
    TooManyChoices,
    UnansweredQuestions,
    UnknownOption,
    score_answers,
    score_question,
)


def question(qtype, right, wrong, qid="q"):
    options = tuple(Option(o, o, True, "") for o in right) + tuple(Option(o, o, False, "") for o in wrong)
    return Question(qid, "skill", qtype, "prompt", options, "why")


SINGLE = question("single", ["a"], ["b", "c"], "single")
TRUE_FALSE = question("true_false", ["false"], ["true"], "tf")
MULTIPLE = question("multiple", ["a", "b"], ["c", "d"], "multi")


def test_single_choice_earns_one_or_nothing():
    assert score_question(SINGLE, ["a"]).credit == 1.0
    assert score_question(SINGLE, ["a"]).right
    assert score_question(SINGLE, ["b"]).credit == 0.0


def test_single_choice_refuses_two_answers():
    with pytest.raises(TooManyChoices):
        score_question(SINGLE, ["a", "b"])


def test_true_false_earns_one_or_nothing():
    assert score_question(TRUE_FALSE, ["false"]).credit == 1.0
    assert score_question(TRUE_FALSE, ["true"]).credit == 0.0
    with pytest.raises(TooManyChoices):
        score_question(TRUE_FALSE, ["true", "false"])


def test_multiple_choice_exactly_right_earns_full_credit():
    result = score_question(MULTIPLE, ["b", "a"])
    assert result.credit == 1.0 and result.right


def test_multiple_choice_half_the_right_options_earns_half():
    result = score_question(MULTIPLE, ["a"])
    assert result.credit == 0.5 and not result.right


def test_multiple_choice_a_wrong_tick_costs_its_share():
    assert score_question(MULTIPLE, ["a", "b", "c"]).credit == 0.5
    assert score_question(MULTIPLE, ["a", "c"]).credit == 0.0


def test_multiple_choice_ticking_everything_earns_nothing_and_never_below_zero():
    assert score_question(MULTIPLE, ["a", "b", "c", "d"]).credit == 0.0
    assert score_question(MULTIPLE, ["c", "d"]).credit == 0.0


def test_multiple_choice_with_uneven_options():
    uneven = question("multiple", ["a", "b", "c"], ["d"])
    assert score_question(uneven, ["a", "b"]).credit == pytest.approx(2 / 3, abs=1e-6)


def test_an_unknown_option_is_refused():
    with pytest.raises(UnknownOption):
        score_question(SINGLE, ["z"])


def test_the_quiz_score_is_the_mean_credit_rounded_down_and_compared_with_the_pass_mark():
    result = score_answers((SINGLE, TRUE_FALSE, MULTIPLE), {"single": ["a"], "tf": ["true"], "multi": ["a"]}, 50)
    assert result.score == 50  # (1 + 0 + 0.5) / 3
    assert result.passed
    assert result.rest_score("single") == 0.5


def test_rounding_never_grants_a_pass():
    three = (SINGLE, question("single", ["a"], ["b"], "s2"), question("single", ["a"], ["b"], "s3"))
    result = score_answers(three, {"single": ["a"], "s2": ["a"], "s3": ["b"]}, 67)
    assert result.score == 66 and not result.passed


def test_every_question_must_be_answered():
    with pytest.raises(UnansweredQuestions) as error:
        score_answers((SINGLE, TRUE_FALSE), {"single": ["a"], "tf": []}, 50)
    assert error.value.question_ids == ["tf"]


def test_skill_profile_compares_pre_test_and_quiz():
    result = score_answers((SINGLE, MULTIPLE), {"single": ["a"], "multi": ["a"]}, 50)
    assert result.by_skill((SINGLE, MULTIPLE)) == {"skill": 0.75}
