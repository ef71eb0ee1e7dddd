"""Professionals: sign-in, saved progress, attempts with a limit, attestations and their verification."""

import datetime as dt

import pytest

from campaigns.attestations import (
    ALPHABET,
    format_code,
    issue_attestation,
    new_code,
    normalise_code,
    verify_attestation,
)
from campaigns.learning import (
    IncompleteIdentity,
    NoAttemptsLeft,
    NoQuizOpened,
    NotForProfessionals,
    ProfessionalIdentity,
    RetakeTooSoon,
    attempts_left,
    completed_modules,
    drawn_quiz,
    lessons_seen,
    mark_lesson_seen,
    next_attempt_allowed_at,
    progress_for,
    record_attempt,
    record_pre_test,
    sign_in_professional,
    start_attempt,
)
from campaigns.learning_models import QuizAttempt
from campaigns.modules import default_catalogue
from campaigns.quiz import UnansweredQuestions
from tests.campaigns.factories import answer_sheet

MODULE = default_catalogue().get("informer-patient", "fr")
WAIT = dt.timedelta(minutes=10)
IDENTITY = ProfessionalIdentity("https://psc.example", "sub-1", "810001234567", "Camille", "Martin", "Médecin")


@pytest.fixture
def professional(session):
    return sign_in_professional(session, IDENTITY)


def test_signing_in_twice_is_the_same_account_with_refreshed_details(session, professional):
    again = sign_in_professional(session, ProfessionalIdentity(
        IDENTITY.issuer, IDENTITY.subject, "810001234567", "Camille", "Martin-Durand", "Médecin"))
    assert again.id == professional.id
    assert again.display_name == "Camille Martin-Durand"


def test_an_identity_without_professional_identifier_is_refused(session):
    with pytest.raises(IncompleteIdentity):
        sign_in_professional(session, ProfessionalIdentity("iss", "sub", "", "A", "B", None))


def test_progress_is_saved_lesson_by_lesson_with_the_first_pre_test(session, professional):
    mark_lesson_seen(session, professional, MODULE, "expliquer")
    mark_lesson_seen(session, professional, MODULE, "expliquer")
    mark_lesson_seen(session, professional, MODULE, "rassurer")
    record_pre_test(session, professional, MODULE, {"pre-role": ["true"], "pre-ou": ["a"]})
    record_pre_test(session, professional, MODULE, {"pre-role": ["false"], "pre-ou": ["a"]})
    progress = progress_for(session, professional, MODULE)
    assert lessons_seen(progress) == ["expliquer", "rassurer"]
    assert progress.pre_test_score == 50


def attempt(session, professional, *, right: bool, wait=dt.timedelta(0)):
    """Open the quiz (its questions are drawn) and answer them all right or all wrong."""
    drawn, _new = start_attempt(session, professional, MODULE, wait)
    return record_attempt(session, professional, MODULE, answer_sheet(MODULE, drawn, right=right), wait)


def test_a_passed_attempt_earns_one_attestation_that_verifies_with_code_and_score(session, professional):
    attempt_, result = attempt(session, professional, right=True)
    assert result.passed and attempt_.number == 1 and attempt_.score == 100
    assert len(result.results) == MODULE.quiz_length
    attestation = issue_attestation(session, attempt_, MODULE)
    assert attestation.holder_name == "Camille Martin"
    assert attestation.professional_identifier == "810001234567"
    assert (attestation.module_version, attestation.duration_minutes) == (MODULE.version, MODULE.duration_minutes)
    assert verify_attestation(session, format_code(attestation.code).lower(), "100 %").id == attestation.id
    assert verify_attestation(session, attestation.code, "99") is None
    assert verify_attestation(session, "not a code", "100") is None
    assert verify_attestation(session, attestation.code, "cent") is None
    second, _ = attempt(session, professional, right=True)
    assert issue_attestation(session, second, MODULE).id == attestation.id
    assert [a.code for a in completed_modules(session, professional)] == [attestation.code]


def test_a_failed_attempt_earns_no_attestation(session, professional):
    attempt_, result = attempt(session, professional, right=False)
    assert not result.passed
    with pytest.raises(ValueError):
        issue_attestation(session, attempt_, MODULE)


def test_attempts_stop_at_the_module_limit(session, professional):
    for _ in range(MODULE.max_attempts):
        attempt(session, professional, right=False)
    assert attempts_left(session, professional, MODULE) == 0
    with pytest.raises(NoAttemptsLeft):
        start_attempt(session, professional, MODULE)


def test_citizen_modules_are_not_recorded_under_an_account(session, professional):
    citizens = default_catalogue().get("vos-donnees-de-sante", "fr")
    with pytest.raises(NotForProfessionals):
        record_attempt(session, professional, citizens, {})


def test_the_draw_is_kept_until_answered_so_a_reload_cannot_fish_for_easier_questions(session, professional):
    drawn, new = start_attempt(session, professional, MODULE)
    assert new and len(drawn) == MODULE.quiz_length
    assert start_attempt(session, professional, MODULE) == (drawn, False)
    assert drawn_quiz(session, professional, MODULE) == drawn
    record_attempt(session, professional, MODULE, answer_sheet(MODULE, drawn, right=True))
    assert drawn_quiz(session, professional, MODULE) is None
    with pytest.raises(NoQuizOpened):  # the same answers sent again count for nothing
        record_attempt(session, professional, MODULE, answer_sheet(MODULE, drawn, right=True))


def test_answers_to_questions_that_were_not_drawn_are_not_scored(session, professional):
    drawn, _new = start_attempt(session, professional, MODULE)
    others = [q.id for q in MODULE.questions if q.id not in drawn][:1]
    with pytest.raises(UnansweredQuestions):
        record_attempt(session, professional, MODULE, answer_sheet(MODULE, others, right=True))
    assert session.query(QuizAttempt).count() == 0


def test_a_professional_waits_before_the_next_attempt(session, professional):
    attempt(session, professional, right=False, wait=WAIT)
    allowed_at = next_attempt_allowed_at(session, professional, MODULE, WAIT)
    now = dt.datetime.now(dt.timezone.utc)
    assert now + WAIT - dt.timedelta(minutes=1) < allowed_at <= now + WAIT
    with pytest.raises(RetakeTooSoon) as refused:
        start_attempt(session, professional, MODULE, WAIT)
    assert refused.value.allowed_at == allowed_at
    # once the wait is over (here: no wait), the next attempt opens
    assert next_attempt_allowed_at(session, professional, MODULE, dt.timedelta(0)) is None
    assert start_attempt(session, professional, MODULE, dt.timedelta(0))[1]


def test_codes_use_the_unambiguous_alphabet():
    for _ in range(200):
        code = new_code()
        assert len(code) == 12 and set(code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    assert normalise_code(" abcd-efgh-jkmn ") == "ABCDEFGHJKMN"
    assert normalise_code("ABCD-EFGH-JKM0") is None
