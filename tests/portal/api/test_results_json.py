"""The lookup response is written by hand for speed: it must be the JSON ``json.dumps`` gives."""

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.api.views import _results_json
from registry.lookups import BatchAnswer
from registry.purposes import Purpose

MOMENT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
UNTIL = MOMENT + dt.timedelta(days=7)


def expected(answer: BatchAnswer) -> dict:
    return {"purpose": "research", "checked_at": "2026-03-01T12:00:00Z",
            "valid_until": "2026-03-08T12:00:00Z", "results": [
        {"identifier": i, "opposed": o} if e is None else {"identifier": i, "error": e}
        for i, o, e in zip(answer.identifiers, answer.opposed, answer.errors)]}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(), st.sampled_from([(True, None), (False, None), (None, "length")])),
                min_size=1, max_size=20))
def test_the_body_is_the_json_of_the_answers(rows):
    answer = BatchAnswer([r[0] for r in rows], [r[1][0] for r in rows], [r[1][1] for r in rows])
    assert json.loads(_results_json(Purpose.RESEARCH, MOMENT, UNTIL, answer)) == expected(answer)


def test_identifiers_that_need_escaping_come_back_as_sent():
    sent = ["285022A00412345", 'with "quotes"', "back\\slash", "accentué", "line\nbreak", "\u2028", "\x7f"]
    answer = BatchAnswer(sent, [False] * len(sent), [None] * len(sent))
    assert json.loads(_results_json(Purpose.RESEARCH, MOMENT, UNTIL, answer)) == expected(answer)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="0123456789AB .-x", max_size=17),
                          st.sampled_from([(True, None), (False, None), (None, "length"), (None, "checksum")])),
                min_size=1, max_size=30))
def test_the_body_is_the_json_of_the_answers_without_escapes(rows):
    """Identifiers as warehouses send them: nothing to escape, the path nearly every batch takes."""
    answer = BatchAnswer([r[0] for r in rows], [r[1][0] for r in rows], [r[1][1] for r in rows])
    assert json.loads(_results_json(Purpose.RESEARCH, MOMENT, UNTIL, answer)) == expected(answer)


def test_an_empty_answer_has_no_results():
    answer = BatchAnswer([], [], [])
    assert json.loads(_results_json(Purpose.RESEARCH, MOMENT, UNTIL, answer)) == expected(answer)
