"""Synthetic numbers: the demo and sandbox numbers, valid but born where nobody was born.

One rule (``is_synthetic``) for both; refused by ``parse_identifier`` and by the batch checks
(one by one and vectorised) when test numbers are refused, and never a number born in a place
that exists. The oracle here reads the reserved birthplaces from the number's kind, apart from
the module's two-character test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.demo import DEMO_PEOPLE
from registry.identifier_batches import VECTOR_FROM, identifier_errors
from registry.identifiers import InvalidIdentifier, identifier_error, is_synthetic, parse_identifier, synthetic_number
from tests.registry.nir_factory import SyntheticNir, make_nir, valid_nirs


def reserved(value: str) -> bool:
    """The documented reserved birthplaces, read field by field."""
    department = value[5:7]
    if department in ("97", "98"):
        return int(value[8:10]) >= 90  # overseas commune 90-99
    return int(value[7:10]) >= 990  # commune 990-999 in France, country 990-999 abroad


@st.composite
def reserved_nirs(draw) -> SyntheticNir:
    """Valid numbers born at a reserved birthplace, of every kind (NIR, pending, NIA; every place)."""
    department = draw(st.sampled_from(["01", "2A", "2B", "20", "75", "95", "99", "971", "976", "989"]))
    year = draw(st.integers(0, 75)) if department == "20" else draw(st.integers(0, 99))
    place = draw(st.integers(0, 9))
    commune = f"9{place}" if len(department) == 3 else f"99{place}"
    month = draw(st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99)))
    sex = draw(st.sampled_from([1, 2, 3, 4, 7, 8]))
    return SyntheticNir(make_nir(sex, year, month, department, commune, draw(st.integers(1, 999))), f"reserved {department}")


any_valid = st.one_of(valid_nirs(), reserved_nirs())


def refused_by_parse(value: str) -> bool:
    try:
        parse_identifier(value, allow_test_identifiers=False)
    except InvalidIdentifier as error:
        assert error.code == "test_identifier"
        return True
    return False


@settings(max_examples=400)
@given(any_valid)
def test_a_valid_number_is_synthetic_exactly_when_born_at_a_reserved_birthplace(case: SyntheticNir) -> None:
    assert identifier_error(case.value) is None
    assert is_synthetic(case.value) == reserved(case.value)
    assert refused_by_parse(case.value) == reserved(case.value)
    parse_identifier(case.value, allow_test_identifiers=True)  # accepted where test numbers are


@settings(max_examples=40)
@given(st.lists(any_valid, min_size=1, max_size=VECTOR_FROM + 50), st.booleans())
def test_the_batch_checks_refuse_the_same_numbers_as_parse_identifier(cases: list[SyntheticNir], allowed: bool) -> None:
    values = [case.value for case in cases]
    expected = [None if allowed or not reserved(v) else "test_identifier" for v in values]
    assert identifier_errors(values, allow_test_identifiers=allowed) == expected
    if len(values) < VECTOR_FROM:  # the same batch again, on the vector path
        padded = values * (VECTOR_FROM // len(values) + 1)
        assert identifier_errors(padded, allow_test_identifiers=allowed) == expected * (VECTOR_FROM // len(values) + 1)


def test_an_invalid_number_keeps_its_own_reason_when_test_numbers_are_refused() -> None:
    bad_key = make_nir(2, 85, 2, "2A", "990", 123, key=1)
    assert identifier_errors([bad_key], allow_test_identifiers=False) == ["checksum"]
    assert identifier_errors([bad_key] * VECTOR_FROM, allow_test_identifiers=False) == ["checksum"] * VECTOR_FROM
    with pytest.raises(InvalidIdentifier) as refused:
        parse_identifier(bad_key, allow_test_identifiers=False)
    assert refused.value.code == "checksum"


@pytest.mark.parametrize("department", ["01", "2A", "2B", "20", "69", "95", "99", "971", "978", "988"])
@pytest.mark.parametrize("place", [0, 9])
def test_synthetic_number_builds_valid_reserved_numbers(department: str, place: int) -> None:
    value = synthetic_number(2, 70 if department == "20" else 85, 2, department, 123, place)
    assert identifier_error(value) is None and is_synthetic(value) and reserved(value)


def test_synthetic_number_refuses_parts_that_make_no_valid_number() -> None:
    for args in [(5, 85, 2, "75", 1), (1, 85, 13, "75", 1), (1, 85, 2, "96", 1), (1, 85, 2, "20", 1), (1, 85, 2, "75", 0)]:
        with pytest.raises(ValueError):
            synthetic_number(*args)
    with pytest.raises(ValueError):
        synthetic_number(1, 85, 2, "75", 1, place=10)


@pytest.mark.parametrize("person", DEMO_PEOPLE, ids=[p.label for p in DEMO_PEOPLE])
def test_every_demo_number_is_a_valid_synthetic_number(person) -> None:
    value = parse_identifier(person.nir).value
    assert is_synthetic(value) and reserved(value)
    assert refused_by_parse(person.nir)


def test_real_birthplaces_next_to_the_reserved_ones_are_never_refused() -> None:
    for value in [make_nir(1, 85, 5, "62", "909", 1), make_nir(1, 85, 5, "62", "989", 1),
                  make_nir(1, 85, 5, "99", "517", 1), make_nir(1, 85, 5, "973", "62", 1),
                  make_nir(1, 85, 5, "75", "120", 1), make_nir(1, 85, 5, "989", "01", 1)]:
        assert not is_synthetic(value) and not refused_by_parse(value)
