"""Literacy modules: versioned content files, one per module and language, loaded and checked.

Lessons and quizzes are long, reviewed content, so they live as YAML data per locale
(``campaigns/content/modules/<slug>.<locale>.yaml``), not as catalogue entries. Every language of
a module must share its version, audience, pass mark, question ids, types and right answers, so
that scores, attempts, attestations and item statistics mean the same thing whatever the language
the person read. A module whose content does not hold is refused at load time with a message
naming the file and the field, never half-served.

Each quiz attempt draws ``quiz_length`` questions from the module's bank (``questions``), which
holds at least twice as many, so that an attempt cannot be passed by remembering the last one.
Every quiz question names the lesson that teaches it (``lesson``), which a failed attempt points
to instead of giving the answer.

The duration is not declared but computed from the content, so that what an attestation prints
is what the module holds: the lessons (titles and text, in the longer language) read at
``READING_WORDS_PER_MINUTE``, plus ``MINUTES_PER_QUESTION`` for each pre-test question and each
question of an attempt, rounded up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

CONTENT_DIR = Path(__file__).with_name("content") / "modules"
LOCALES = ("fr", "en")
AUDIENCES = ("citizens", "professionals")
QUESTION_TYPES = ("single", "multiple", "true_false")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
READING_WORDS_PER_MINUTE = 150  # a careful reading of instructional text, below leisure reading
MINUTES_PER_QUESTION = 1
BANK_FACTOR = 2  # the bank holds at least this many times the questions of one attempt


class ContentError(ValueError):
    """A content file does not follow the module format; the message names the file and field."""


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    skill: str
    type: str
    prompt: str
    options: tuple[Option, ...]
    explanation: str
    lesson: str | None = None  # the lesson that teaches it (every quiz question has one)

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)

    @property
    def option_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    body: str

    @property
    def paragraphs(self) -> list[str]:
        """Blank-line separated paragraphs, each joined onto one line for display."""
        return [" ".join(p.split()) for p in self.body.split("\n\n") if p.strip()]

    @property
    def words(self) -> int:
        return len(self.title.split()) + len(self.body.split())


@dataclass(frozen=True)
class Module:
    """One language of one version of a module. ``pass_mark`` is a percentage (0-100);
    ``questions`` is the bank an attempt draws ``quiz_length`` questions from."""

    slug: str
    version: int
    locale: str
    audience: str
    title: str
    summary: str
    duration_minutes: int
    pass_mark: int
    max_attempts: int | None
    lessons: tuple[Lesson, ...]
    pre_test: tuple[Question, ...]
    questions: tuple[Question, ...]
    quiz_length: int

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions + self.pre_test if q.id == question_id), None)

    def quiz_questions(self, question_ids) -> tuple[Question, ...]:
        """The bank's questions with these ids, in bank order; ``KeyError`` for an id not in it."""
        wanted = set(question_ids)
        found = tuple(q for q in self.questions if q.id in wanted)
        if len(found) != len(wanted):
            raise KeyError("a question is not in this module's bank")
        return found

    @property
    def lesson_words(self) -> int:
        return sum(lesson.words for lesson in self.lessons)


@dataclass(frozen=True)
class Catalogue:
    """Every module in every language, found by ``(slug, locale)``."""

    modules: dict[tuple[str, str], Module]

    def get(self, slug: str, locale: str) -> Module | None:
        return self.modules.get((slug, locale))

    def for_audience(self, audience: str, locale: str) -> list[Module]:
        found = [m for (_, loc), m in self.modules.items() if loc == locale and m.audience == audience]
        return sorted(found, key=lambda m: m.slug)


def _require(data: dict, key: str, kind, where: str):
    if key not in data:
        raise ContentError(f"{where}: '{key}' is missing")
    value = data[key]
    if kind is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is not bool):
        raise ContentError(f"{where}: '{key}' must be {getattr(kind, '__name__', kind)}")
    if isinstance(value, str) and not value.strip():
        raise ContentError(f"{where}: '{key}' is empty")
    return value


def _identifier(data: dict, where: str) -> str:
    value = str(_require(data, "id", None, where))
    if not _ID.match(value):
        raise ContentError(f"{where}: id '{value}' must be letters, digits, '-' or '_'")
    return value


def _question(data, where: str, lessons: tuple[str, ...] = ()) -> Question:
    if not isinstance(data, dict):
        raise ContentError(f"{where}: a question must be a mapping")
    qid = _identifier(data, where)
    where = f"{where} ({qid})"
    qtype = _require(data, "type", str, where)
    if qtype not in QUESTION_TYPES:
        raise ContentError(f"{where}: type '{qtype}' is not one of {', '.join(QUESTION_TYPES)}")
    raw_options = _require(data, "options", list, where)
    options = []
    for raw in raw_options:
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: an option must be a mapping")
        options.append(Option(
            id=_identifier(raw, where),
            text=_require(raw, "text", str, where),
            correct=_require(raw, "correct", bool, where),
            feedback=_require(raw, "feedback", str, where),
        ))
    ids = [o.id for o in options]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{where}: option ids repeat")
    correct = sum(o.correct for o in options)
    if qtype == "true_false" and (sorted(ids) != ["false", "true"] or correct != 1):
        raise ContentError(f"{where}: a true_false question has options 'true' and 'false', one correct")
    if qtype == "single" and (len(options) < 2 or correct != 1):
        raise ContentError(f"{where}: a single-choice question has at least 2 options and exactly one correct")
    if qtype == "multiple" and (len(options) < 3 or correct < 1 or correct == len(options)):
        raise ContentError(f"{where}: a multiple-choice question has at least 3 options, some right and some wrong")
    lesson = None
    if lessons:
        lesson = _require(data, "lesson", str, where)
        if lesson not in lessons:
            raise ContentError(f"{where}: lesson '{lesson}' is not one of the module's lessons")
    return Question(
        id=qid,
        skill=_require(data, "skill", str, where),
        type=qtype,
        prompt=_require(data, "prompt", str, where),
        options=tuple(options),
        explanation=_require(data, "explanation", str, where),
        lesson=lesson,
    )


def parse_module(text: str, locale: str, where: str = "module") -> Module:
    """Build one module from the text of its content file; raise ``ContentError`` when it is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ContentError(f"{where}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ContentError(f"{where}: the file must hold a mapping")
    slug = _require(data, "slug", str, where)
    if not _SLUG.match(slug):
        raise ContentError(f"{where}: slug '{slug}' must be lower-case letters, digits and '-'")
    version = _require(data, "version", int, where)
    if version < 1:
        raise ContentError(f"{where}: version starts at 1")
    audience = _require(data, "audience", str, where)
    if audience not in AUDIENCES:
        raise ContentError(f"{where}: audience '{audience}' is not one of {', '.join(AUDIENCES)}")
    pass_mark = _require(data, "pass_mark", int, where)
    if not 0 < pass_mark <= 100:
        raise ContentError(f"{where}: pass_mark is a percentage between 1 and 100")
    if "duration_minutes" in data:
        raise ContentError(f"{where}: 'duration_minutes' is computed from the content; remove it")
    quiz_length = _require(data, "quiz_length", int, where)
    if quiz_length < 1:
        raise ContentError(f"{where}: quiz_length must be positive")
    max_attempts = data.get("max_attempts")
    if max_attempts is not None and (not isinstance(max_attempts, int) or isinstance(max_attempts, bool)
                                     or max_attempts < 1):
        raise ContentError(f"{where}: max_attempts is a positive number, or null for no limit")
    lessons = []
    for raw in _require(data, "lessons", list, where):
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: a lesson must be a mapping")
        lessons.append(Lesson(_identifier(raw, where), _require(raw, "title", str, where),
                              _require(raw, "body", str, where)))
    if not lessons:
        raise ContentError(f"{where}: a module has at least one lesson")
    lesson_ids = tuple(lesson.id for lesson in lessons)
    questions = tuple(_question(q, f"{where} questions", lesson_ids)
                      for q in _require(data, "questions", list, where))
    pre_test = tuple(_question(q, f"{where} pre_test") for q in data.get("pre_test") or [])
    if len(questions) < BANK_FACTOR * quiz_length:
        raise ContentError(f"{where}: the bank holds {len(questions)} questions; an attempt draws "
                           f"{quiz_length}, so it needs at least {BANK_FACTOR * quiz_length}")
    all_ids = [q.id for q in questions + pre_test]
    if len(set(all_ids)) != len(all_ids):
        raise ContentError(f"{where}: question ids repeat")
    if len(set(lesson_ids)) != len(lesson_ids):
        raise ContentError(f"{where}: lesson ids repeat")
    missing = {q.skill for q in pre_test} - {q.skill for q in questions}
    if missing:
        raise ContentError(f"{where}: pre-test skills not assessed again in the quiz: {', '.join(sorted(missing))}")
    module = Module(
        slug=slug, version=version, locale=locale, audience=audience,
        title=_require(data, "title", str, where), summary=_require(data, "summary", str, where),
        duration_minutes=0, pass_mark=pass_mark, max_attempts=max_attempts,
        lessons=tuple(lessons), pre_test=pre_test, questions=questions, quiz_length=quiz_length,
    )
    return replace(module, duration_minutes=estimated_minutes(module.lesson_words, module))


def estimated_minutes(lesson_words: int, module: Module) -> int:
    """Reading the lessons at ``READING_WORDS_PER_MINUTE``, plus a minute per question answered."""
    questions = len(module.pre_test) + module.quiz_length
    return math.ceil(lesson_words / READING_WORDS_PER_MINUTE + MINUTES_PER_QUESTION * questions)


def _shape(module: Module) -> tuple:
    """What must be identical across the languages of one module."""
    def questions(qs):
        return tuple((q.id, q.skill, q.type, q.lesson, tuple((o.id, o.correct) for o in q.options)) for q in qs)

    return (module.version, module.audience, module.pass_mark, module.max_attempts, module.quiz_length,
            tuple(lesson.id for lesson in module.lessons), questions(module.pre_test), questions(module.questions))


def load_catalogue(directory: Path = CONTENT_DIR) -> Catalogue:
    """Load every ``<slug>.<locale>.yaml`` file of ``directory`` and check the languages agree."""
    modules: dict[tuple[str, str], Module] = {}
    for path in sorted(directory.glob("*.yaml")):
        stem, _, locale = path.stem.rpartition(".")
        if locale not in LOCALES:
            raise ContentError(f"{path.name}: the file name must end with .fr.yaml or .en.yaml")
        module = parse_module(path.read_text(encoding="utf-8"), locale, path.name)
        if module.slug != stem:
            raise ContentError(f"{path.name}: slug '{module.slug}' does not match the file name")
        modules[(module.slug, locale)] = module
    for slug in {slug for slug, _ in modules}:
        present = [modules[(slug, loc)] for loc in LOCALES if (slug, loc) in modules]
        if len(present) != len(LOCALES):
            raise ContentError(f"module '{slug}': every language ({', '.join(LOCALES)}) must be present")
        if len({_shape(m) for m in present}) != 1:
            raise ContentError(f"module '{slug}': languages differ in version, settings, ids or right answers")
        # one duration for every language: the one the longer text supports
        minutes = estimated_minutes(max(m.lesson_words for m in present), present[0])
        for module in present:
            modules[(slug, module.locale)] = replace(module, duration_minutes=minutes)
    return Catalogue(modules)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The modules shipped with the package, loaded once per process."""
    return load_catalogue()
