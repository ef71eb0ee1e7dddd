"""The batch functions of registry.identifier_batches give, for every identifier of a batch,
what the one-by-one functions of registry.identifiers give.

As in test_identifiers_properties, generated numbers travel as ``SyntheticNir`` (a failing
example prints labels, not numbers), and only reason codes or booleans reach an ``assert``.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.identifier_batches import VECTOR_FROM, identifier_errors, normalise_many
from registry.identifiers import identifier_error, normalise_fast
from tests.registry.nir_factory import SyntheticNir, nir_key, replace_at, valid_nirs
from tests.registry.test_identifiers_properties import bodies_with_right_key, near_misses

SETTINGS = settings(max_examples=150, deadline=None)

# every character a valid number can hold, and a few it cannot (lower case, other scripts' digits)
CHARACTERS = "0123456789ABab?x \u0665\uff11\u00e9"


def one_by_one(values: list[str]) -> list[str | None]:
    return [identifier_error(value) for value in values]


def large(batch: list[str]) -> list[str]:
    """``batch`` repeated up to the size from which batches are checked as vectors."""
    return batch * (VECTOR_FROM // len(batch) + 1)


@settings(max_examples=40, deadline=None)
@given(nir=valid_nirs())
def test_every_substitution_with_every_key_gets_its_own_reason(nir: SyntheticNir) -> None:
    """Any character at any place of the body, each with all 100 keys: whatever the vector
    checks make of a character, some key matches it, so only the structure rules can decide."""
    value = nir.value
    bodies = [replace_at(value, index, char)[:13] for index in range(13) for char in CHARACTERS]
    batch = [value] + [body + f"{key:02d}" for body in bodies for key in range(100)]
    batch += [replace_at(value, index, char) for index in (13, 14) for char in CHARACTERS]
    errors = identifier_errors(batch)
    expected = one_by_one(batch)
    assert errors == expected
    assert errors[0] is None


@SETTINGS
@given(
    cases=st.lists(
        st.one_of(valid_nirs(), bodies_with_right_key(), near_misses(), st.builds(SyntheticNir, st.text(), st.just("text"))),
        min_size=1,
        max_size=60,
    )
)
def test_mixed_batches_agree_with_the_one_by_one_path(cases: list[SyntheticNir]) -> None:
    batch = large([case.value for case in cases])
    errors = identifier_errors(batch)
    expected = one_by_one(batch)
    assert errors == expected


@SETTINGS
@given(
    cases=st.lists(valid_nirs(), min_size=1, max_size=40),
    year=st.integers(0, 99),
)
def test_corsica_20_follows_the_year_in_a_batch(cases: list[SyntheticNir], year: int) -> None:
    """"20" is Corsica before 1976 only: a rule across two fields, one of them the year."""
    batch = []
    for case in cases:
        body = case.value[0] + f"{year:02d}" + case.value[3:5] + "20" + case.value[7:13]
        batch.append(body + nir_key(body))
    batch = large(batch)
    errors = identifier_errors(batch)
    expected = one_by_one(batch)
    assert errors == expected
    assert set(errors) == ({None} if year < 76 else {"department"})


def with_right_keys(base: str, start: int, width: int) -> list[str]:
    """``base`` with every value (000... to 999...) in the ``width`` characters from ``start``, each
    with its right key: only the structure rules can reject them."""
    bodies = [base[:start] + f"{value:0{width}d}" + base[start + width : 13] for value in range(10**width)]
    return [body + nir_key(body) for body in bodies]


# a metropolitan, an overseas, a born-abroad and a Corsican number (the last two digits: any key)
BASES = ["185057505612300", "285059740112300", "185059910112300", "185052A05612300", "185052B05612300"]
FIELDS = [(0, 1), (1, 2), (3, 2), (5, 3), (7, 3), (8, 2), (10, 3)]  # sex, year, month, place, order


def test_every_value_of_every_field_with_its_right_key() -> None:
    """Each field's every value, the others kept, with the right key: the vector checks must
    draw each boundary (months 12/20, 42/50; departments 95/96, 971-978, 984-989; countries from
    101; communes and orders from 1; "20" before 1976) where the one-by-one path draws it."""
    batch = [value for base in BASES for start, width in FIELDS for value in with_right_keys(base, start, width)]
    errors = identifier_errors(batch)
    expected = one_by_one(batch)
    assert errors == expected
    assert {None, "sex", "month", "department", "commune", "country", "order"} <= set(errors)


def test_keys_at_their_bounds_are_checked_like_one_by_one() -> None:
    """Bodies whose key is 01 or 97 (the ends of the range), and each with the keys 00, 98, 99."""
    bodies = [f"1850575{order:03d}{commune:03d}" for order in range(1, 60) for commune in (1, 500)]
    batch = [body + key for body in bodies for key in (nir_key(body), "00", "97", "98", "99", "01")]
    errors = identifier_errors(batch)
    expected = one_by_one(batch)
    assert errors == expected
    assert errors.count(None) >= len(bodies)


@SETTINGS
@given(cases=st.lists(st.one_of(valid_nirs(), near_misses()), min_size=1, max_size=VECTOR_FROM + 10))
def test_small_and_large_batches_answer_alike(cases: list[SyntheticNir]) -> None:
    """Either side of VECTOR_FROM, and a batch whose identifiers are checked on their own."""
    batch = [case.value for case in cases]
    errors = identifier_errors(batch)
    alone = [identifier_errors([value])[0] for value in batch]
    assert errors == alone == one_by_one(batch)


def test_empty_batch_and_batches_of_other_lengths() -> None:
    assert identifier_errors([]) == []
    assert normalise_many([]) == []
    others = ["", "1", "12345678901234", "1234567890123456"]
    assert identifier_errors(others) == ["empty", "length", "length", "length"]
    assert identifier_errors(large(others)) == large(["empty", "length", "length", "length"])


SEPARATED = st.lists(st.sampled_from(["", "", " ", ".", "-", " - ", "\u00a0", "\t", "\n", "\r\n"]), min_size=16, max_size=16)


@SETTINGS
@given(cases=st.lists(st.tuples(valid_nirs(), SEPARATED, st.booleans()), max_size=40))
def test_normalise_many_is_normalise_of_each(cases: list[tuple[SyntheticNir, list[str], bool]]) -> None:
    batch = []
    for nir, separators, lower in cases:
        text = nir.value.lower() if lower else nir.value
        batch.append(separators[0] + "".join(c + s for c, s in zip(text, separators[1:])))
    same = normalise_many(batch) == [normalise_fast(raw) for raw in batch]
    assert same


@SETTINGS
@given(batch=st.lists(st.text(alphabet="0123456789ABab .-\n\t\u00a0\u2010\u00df", max_size=20), max_size=30))
def test_normalise_many_on_any_text(batch: list[str]) -> None:
    same = normalise_many(batch) == [normalise_fast(raw) for raw in batch]
    assert same
