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
    NotForProfessionals,
    ProfessionalIdentity,
    attempts_left,
    completed_modules,
    lessons_seen,
    mark_lesson_seen,
    progress_for,
    record_attempt,
    record_pre_test,
    sign_in_professional,
)
from campaigns.modules import default_catalogue

MODULE = default_catalogue().get("informer-patient", "fr")
RIGHT = {"q-role": ["a"], "q-ou": ["a", "b"], "q-soins": ["false"], "q-enfant": ["a"], "q-passe": ["false"]}
WRONG = {"q-role": ["b"], "q-ou": ["c"], "q-soins": ["true"], "q-enfant": ["b"], "q-passe": ["true"]}
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


def test_a_passed_attempt_earns_one_attestation_that_verifies_with_code_and_score(session, professional):
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=12)
    attempt, result = record_attempt(session, professional, MODULE, RIGHT, started)
    assert result.passed and attempt.number == 1 and attempt.score == 100
    attestation = issue_attestation(session, attempt, MODULE)
    assert attestation.holder_name == "Camille Martin"
    assert attestation.professional_identifier == "810001234567"
    assert (attestation.module_version, attestation.duration_minutes) == (1, 20)
    assert verify_attestation(session, format_code(attestation.code).lower(), "100 %").id == attestation.id
    assert verify_attestation(session, attestation.code, "99") is None
    assert verify_attestation(session, "not a code", "100") is None
    assert verify_attestation(session, attestation.code, "cent") is None
    second, _ = record_attempt(session, professional, MODULE, RIGHT, None)
    assert issue_attestation(session, second, MODULE).id == attestation.id
    assert [a.code for a in completed_modules(session, professional)] == [attestation.code]


def test_a_failed_attempt_earns_no_attestation(session, professional):
    attempt, result = record_attempt(session, professional, MODULE, WRONG, None)
    assert not result.passed
    with pytest.raises(ValueError):
        issue_attestation(session, attempt, MODULE)


def test_attempts_stop_at_the_module_limit(session, professional):
    for _ in range(MODULE.max_attempts):
        record_attempt(session, professional, MODULE, WRONG, None)
    assert attempts_left(session, professional, MODULE) == 0
    with pytest.raises(NoAttemptsLeft):
        record_attempt(session, professional, MODULE, RIGHT, None)


def test_citizen_modules_are_not_recorded_under_an_account(session, professional):
    citizens = default_catalogue().get("vos-donnees-de-sante", "fr")
    with pytest.raises(NotForProfessionals):
        record_attempt(session, professional, citizens, {}, None)


def test_codes_use_the_unambiguous_alphabet():
    for _ in range(200):
        code = new_code()
        assert len(code) == 12 and set(code) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    assert normalise_code(" abcd-efgh-jkmn ") == "ABCDEFGHJKMN"
    assert normalise_code("ABCD-EFGH-JKM0") is None
