"""The module content files load, agree across languages, and bad content is refused clearly."""

import math
import random
import textwrap

import pytest

from campaigns.modules import (
    MINUTES_PER_QUESTION, READING_WORDS_PER_MINUTE, ContentError, default_catalogue, load_catalogue, parse_module,
)
from campaigns.quiz import draw_questions

VALID = textwrap.dedent("""
    slug: demo
    version: 2
    audience: citizens
    title: Demo
    summary: A demo
    quiz_length: 1
    pass_mark: 50
    max_attempts: null
    lessons:
      - {id: one, title: One, body: "First paragraph.\\n\\nSecond paragraph."}
    pre_test:
      - id: p1
        skill: s
        type: true_false
        prompt: P?
        options:
          - {id: "true", text: "True", correct: true, feedback: ok}
          - {id: "false", text: "False", correct: false, feedback: wrong}
        explanation: because
    questions:
      - id: q1
        skill: s
        lesson: one
        type: single
        prompt: Q?
        options:
          - {id: a, text: A, correct: true, feedback: ok}
          - {id: b, text: B, correct: false, feedback: wrong}
        explanation: because
      - id: q2
        skill: s
        lesson: one
        type: true_false
        prompt: R?
        options:
          - {id: "true", text: "True", correct: false, feedback: wrong}
          - {id: "false", text: "False", correct: true, feedback: ok}
        explanation: because
""")


def test_the_shipped_catalogue_has_three_modules_in_both_languages():
    catalogue = default_catalogue()
    slugs = {slug for slug, _ in catalogue.modules}
    assert slugs == {"droit-opposition-registre", "informer-patient", "vos-donnees-de-sante"}
    assert [m.slug for m in catalogue.for_audience("citizens", "en")] == ["vos-donnees-de-sante"]
    assert len(catalogue.for_audience("professionals", "fr")) == 2


def test_every_shipped_module_uses_each_question_type_and_a_pre_test():
    for module in default_catalogue().modules.values():
        assert {q.type for q in module.questions} == {"single", "multiple", "true_false"}, module.slug
        assert module.pre_test, module.slug
        assert {q.skill for q in module.pre_test} <= {q.skill for q in module.questions}


def test_the_shipped_facts_name_the_law_and_what_the_registry_does_not_do():
    module = default_catalogue().get("droit-opposition-registre", "en")
    text = " ".join(p for lesson in module.lessons for p in lesson.paragraphs)
    for fact in ("article 21", "Regulation (EU) 2025/327", "article 71", "No reason has to be given",
                 "reverse their choice at any time", "must check it", "changes nothing in care",
                 "are not recalled", "Health Data Hub", "entrepôts de données de santé, EDS"):
        assert fact in text, fact


def test_a_valid_file_parses_with_paragraphs():
    module = parse_module(VALID, "en")
    assert module.version == 2 and module.max_attempts is None
    assert module.lessons[0].paragraphs == ["First paragraph.", "Second paragraph."]
    assert module.question("p1").correct_ids == {"true"}


@pytest.mark.parametrize("change, message", [
    (("type: single", "type: ranking"), "not one of"),
    (("{id: a, text: A, correct: true", "{id: a, text: A, correct: false"), "exactly one correct"),
    (("pass_mark: 50", "pass_mark: 150"), "percentage"),
    (("audience: citizens", "audience: robots"), "audience"),
    (("  - id: p1\n    skill: s", "  - id: p1\n    skill: other"), "pre-test skills"),
    (("prompt: Q?", "prompt: ''"), "'prompt' is empty"),
    (("version: 2", "version: two"), "'version' must be int"),
    (("quiz_length: 1", "quiz_length: 2"), "needs at least 4"),
    (("quiz_length: 1", "quiz_length: 1\nduration_minutes: 30"), "computed from the content"),
    (("    lesson: one\n    type: single", "    lesson: two\n    type: single"), "not one of the module's lessons"),
    (("    lesson: one\n    type: single", "    type: single"), "'lesson' is missing"),
])
def test_bad_content_is_refused_with_the_field_named(change, message):
    with pytest.raises(ContentError, match=message):
        parse_module(VALID.replace(*change), "en", "demo.en.yaml")


def test_languages_that_disagree_on_right_answers_are_refused(tmp_path):
    (tmp_path / "demo.fr.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "demo.en.yaml").write_text(
        VALID.replace("{id: a, text: A, correct: true", "{id: a, text: A, correct: X").replace(
            "{id: b, text: B, correct: false", "{id: b, text: B, correct: true").replace("correct: X", "correct: false"),
        encoding="utf-8")
    with pytest.raises(ContentError, match="languages differ"):
        load_catalogue(tmp_path)


def test_a_module_missing_a_language_is_refused(tmp_path):
    (tmp_path / "demo.fr.yaml").write_text(VALID, encoding="utf-8")
    with pytest.raises(ContentError, match="every language"):
        load_catalogue(tmp_path)


def test_every_shipped_bank_holds_at_least_twice_the_questions_of_an_attempt():
    for (slug, locale), module in default_catalogue().modules.items():
        assert module.quiz_length >= 4, slug
        assert len(module.questions) >= 2 * module.quiz_length, (slug, locale)
        assert all(module.lesson(q.lesson) is not None for q in module.questions), slug


def test_two_draws_can_differ_and_only_ever_hold_questions_of_the_bank():
    module = default_catalogue().get("droit-opposition-registre", "fr")
    bank = {q.id for q in module.questions}
    rng = random.Random(20)
    draws = {draw_questions(module, rng) for _ in range(20)}
    assert len(draws) > 1
    for drawn in draws:
        assert len(drawn) == len(set(drawn)) == module.quiz_length
        assert set(drawn) <= bank


def test_a_draw_covers_as_many_skills_as_its_length_allows():
    module = default_catalogue().get("droit-opposition-registre", "fr")
    skills = {q.skill for q in module.questions}
    for seed in range(20):
        drawn = module.quiz_questions(draw_questions(module, random.Random(seed)))
        assert len({q.skill for q in drawn}) == min(len(skills), module.quiz_length)


def test_the_duration_is_computed_from_the_lessons_and_the_questions_not_declared():
    module = parse_module(VALID, "en")
    words = len("One First paragraph. Second paragraph.".split())
    assert module.duration_minutes == math.ceil(words / READING_WORDS_PER_MINUTE + MINUTES_PER_QUESTION * 2)
    for slug in ("droit-opposition-registre", "informer-patient", "vos-donnees-de-sante"):
        fr, en = default_catalogue().get(slug, "fr"), default_catalogue().get(slug, "en")
        longest = max(fr.lesson_words, en.lesson_words)
        questions = len(fr.pre_test) + fr.quiz_length
        assert fr.duration_minutes == en.duration_minutes == math.ceil(longest / 150 + questions), slug
    assert default_catalogue().get("droit-opposition-registre", "fr").duration_minutes < 30


def test_invalid_yaml_is_refused(tmp_path):
    with pytest.raises(ContentError, match="not valid YAML"):
        parse_module("slug: [unclosed", "fr", "x.fr.yaml")
