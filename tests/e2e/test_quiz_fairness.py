"""Attestations that mean something, in a real browser: a failed attempt names the questions
missed and the lessons to reread but never the right answers; a professional waits before a
retake while a citizen may retry at once; each attempt draws its questions from a larger bank;
the duration printed on the attestation and in the DPC export is the one the content supports."""

from __future__ import annotations

import csv
import io
import math

import pypdf
import pytest

from campaigns.modules import default_catalogue
from tests.e2e.browser import check_page
from tests.e2e.conftest import live_config
from tests.e2e.test_learning import answer_drawn_quiz, drawn_questions, follow
from tests.prosanteconnect import DEMO_PROFESSIONAL, psc_config, psc_provider  # noqa: F401

PRO_MODULE = "droit-opposition-registre"
CITIZENS_MODULE = "vos-donnees-de-sante"


@pytest.fixture
def live_server_config(database_url, psc_provider):  # noqa: F811
    return live_config(database_url, LEARNING_RETAKE_WAIT_MINUTES=10, **psc_config(psc_provider))


def sign_in_professional(live_server, page) -> None:
    page.goto(live_server.url + "/pro/")
    follow(page, page.get_by_role("link", name="Se connecter avec Pro Santé Connect"))
    page.get_by_role("button", name=DEMO_PROFESSIONAL["sub"]).click()
    page.wait_for_url(live_server.url + "/pro/")


def test_a_failed_attempt_names_what_to_reread_never_the_answers_and_a_retake_waits(
        live_server, page, console_errors):
    module = default_catalogue().get(PRO_MODULE, "fr")
    sign_in_professional(live_server, page)
    page.goto(live_server.url + f"/modules/{PRO_MODULE}/quiz")
    drawn = answer_drawn_quiz(page, PRO_MODULE, right=False)
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert "Pas encore : 0 %" in page.content()
    check_page(page, console_errors)
    text = page.locator("main").inner_text()
    for question in drawn:
        assert question.prompt in text
        assert question.explanation not in text
        for option in question.options:
            assert option.feedback not in text
    assert "bonne réponse" not in text
    for lesson_id in {question.lesson for question in drawn}:
        link = page.get_by_role("link", name=module.lesson(lesson_id).title)
        assert link.count() >= 1
        assert link.first.get_attribute("href") == f"/modules/{PRO_MODULE}/lecons/{lesson_id}"
    assert page.get_by_role("link", name="Réessayer le quiz").count() == 0
    assert "Vous pourrez repasser le quiz à partir de" in text

    page.goto(live_server.url + f"/modules/{PRO_MODULE}/quiz")
    assert page.url == live_server.url + f"/modules/{PRO_MODULE}/"
    assert "Vous pourrez repasser le quiz à partir de" in page.locator("main").inner_text()
    check_page(page, console_errors)


def test_a_citizen_may_retry_at_once(live_server, page, console_errors):
    page.goto(live_server.url + f"/modules/{CITIZENS_MODULE}/quiz")
    answer_drawn_quiz(page, CITIZENS_MODULE, right=False)
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert "Pas encore" in page.content()
    follow(page, page.get_by_role("link", name="Réessayer le quiz"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Quiz")
    check_page(page, console_errors)


def test_each_attempt_draws_its_questions_from_a_bank_twice_as_large(live_server, page):
    module = default_catalogue().get(CITIZENS_MODULE, "fr")
    bank = {question.id for question in module.questions}
    draws = set()
    for _ in range(8):
        page.goto(live_server.url + f"/modules/{CITIZENS_MODULE}/quiz")
        drawn = drawn_questions(page, CITIZENS_MODULE)
        assert len(drawn) == module.quiz_length
        assert {question.id for question in drawn} <= bank
        draws.add(frozenset(question.id for question in drawn))
        answer_drawn_quiz(page, CITIZENS_MODULE, right=True)
        follow(page, page.get_by_role("button", name="Valider mes réponses"))
        if len(draws) > 1:
            break
    assert len(draws) > 1
    assert len(bank) >= 2 * module.quiz_length


def expected_minutes(slug: str) -> int:
    """Lessons read at 150 words a minute, plus a minute per pre-test and quiz question."""
    longest = max(sum(len((lesson.title + " " + lesson.body).split()) for lesson in module.lessons)
                  for module in (default_catalogue().get(slug, locale) for locale in ("fr", "en")))
    module = default_catalogue().get(slug, "fr")
    return math.ceil(longest / 150 + len(module.pre_test) + module.quiz_length)


def test_the_attestation_and_the_export_print_the_duration_the_content_supports(
        live_server, page, context, console_errors):
    sign_in_professional(live_server, page)
    page.goto(live_server.url + f"/modules/{PRO_MODULE}/")
    minutes = expected_minutes(PRO_MODULE)
    assert f"Durée estimée : {minutes} minutes" in page.locator("main").inner_text()
    check_page(page, console_errors)
    page.goto(live_server.url + f"/modules/{PRO_MODULE}/quiz")
    answer_drawn_quiz(page, PRO_MODULE, right=True)
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger l'attestation (PDF)").click()
    pdf_text = pypdf.PdfReader(download_info.value.path()).pages[0].extract_text()
    assert f"{minutes} minutes" in pdf_text
    export = context.request.get(live_server.url + "/pro/export.csv").text()
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert [row["duration_minutes"] for row in rows] == [str(minutes)]
