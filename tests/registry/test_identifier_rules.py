"""The three ways of checking a matricule (the fast expression, the rule-by-rule reasons, the
numpy batch) are built from the one table of ``registry.identifier_rules``: change a rule in a
copy of the table, and all three follow it. No test here re-reads a constant: each builds the
three checks from a changed table and asks them about numbers the change concerns."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from registry.identifier_batches import accepted, synthetic
from registry.identifier_rules import RULES, Birthplace, Digits, Rules, key_for, pattern
from registry.identifiers import _explain, identifier_error, is_synthetic
from tests.registry.nir_factory import make_nir


def three_paths(rules: Rules, value: str) -> tuple[bool, str | None, bool]:
    """What the expression (and the key), the rule-by-rule check and the numpy check built
    from ``rules`` say of ``value``: matched, reason, accepted."""
    matched = re.compile(pattern(rules), re.ASCII).fullmatch(value) is not None
    matched = matched and key_for(value, rules) == value[rules.key.start:]
    characters = np.frombuffer(value.encode("ascii", "replace"), np.uint8).reshape(1, -1).T - np.uint8(ord("0"))
    return matched, _explain(value, rules), bool(accepted(np.ascontiguousarray(characters), rules)[0])


def with_layout(rules: Rules, name: str, **changes) -> Rules:
    layouts = tuple(dataclasses.replace(layout, **changes) if layout.name == name else layout
                    for layout in rules.birthplaces)
    return dataclasses.replace(rules, birthplaces=layouts)


def test_the_registry_s_three_paths_are_those_of_the_table() -> None:
    for value in (make_nir(1, 85, 5, "75", "056", 123), make_nir(2, 85, 5, "2A", "004", 123),
                  make_nir(1, 85, 5, "974", "12", 1), make_nir(1, 85, 5, "99", "352", 1)):
        assert three_paths(RULES, value) == (True, None, True)
        assert identifier_error(value) is None


def test_a_narrower_order_range_is_followed_by_all_three() -> None:
    value = make_nir(1, 85, 5, "75", "056", 600)
    assert three_paths(RULES, value) == (True, None, True)
    narrower = dataclasses.replace(RULES, order=Digits(10, 3, ((1, 500),), "order"))
    assert three_paths(narrower, value) == (False, "order", False)
    assert three_paths(narrower, make_nir(1, 85, 5, "75", "056", 500)) == (True, None, True)


def test_a_new_month_code_is_followed_by_all_three() -> None:
    value = make_nir(1, 85, 15, "75", "056", 1)
    assert three_paths(RULES, value) == (False, "month", False)
    wider = dataclasses.replace(RULES, month=Digits(3, 2, (*RULES.month.allowed, (13, 19)), "month"))
    assert three_paths(wider, value) == (True, None, True)


def test_a_new_kind_of_number_is_followed_by_all_three() -> None:
    value = make_nir(5, 85, 5, "75", "056", 1)
    assert three_paths(RULES, value) == (False, "sex", False)
    wider = dataclasses.replace(RULES, sexes={**RULES.sexes, "5": RULES.sexes["7"]})
    assert three_paths(wider, value) == (True, None, True)


def test_a_new_overseas_department_is_followed_by_all_three() -> None:
    value = make_nir(1, 85, 5, "979", "12", 1)
    assert three_paths(RULES, value) == (False, "department", False)
    overseas = next(layout for layout in RULES.birthplaces if layout.name == "overseas")
    wider = with_layout(RULES, "overseas", department=Digits(5, 3, (*overseas.department.allowed, (979, 979)),
                                                            "department"))
    assert three_paths(wider, value) == (True, None, True)


def test_the_corsica_split_year_and_key_letters_are_followed_by_all_three() -> None:
    old = make_nir(1, 77, 5, "20", "004", 1)
    assert three_paths(RULES, old) == (False, "department", False)
    later_split = dataclasses.replace(RULES, corsica_split_year=1980)
    assert three_paths(later_split, old) == (True, None, True)
    # a third lettered département, read as 17 by the key
    lettered = make_nir(1, 85, 5, "2C", "004", 1, key=key_for("1850517004001"))
    assert three_paths(RULES, lettered)[1:] == ("format", False)
    france = RULES.default_birthplace
    more_letters = with_layout(RULES, "france", letters={**france.letters, "2C": "17"})
    assert three_paths(more_letters, lettered) == (True, None, True)


def test_a_changed_key_modulus_is_followed_by_all_three() -> None:
    body = "1850575056001"
    value = body + f"{89 - int(body) % 89:02d}"
    modulus_89 = dataclasses.replace(RULES, key_modulus=89)
    assert three_paths(modulus_89, value) == (True, None, True)
    assert three_paths(RULES, value) == (False, "checksum", False)


def test_reserved_birthplaces_come_from_the_table() -> None:
    value = make_nir(1, 85, 5, "75", "980", 1)
    characters = np.ascontiguousarray(np.frombuffer(value.encode(), np.uint8).reshape(1, -1).T - np.uint8(48))
    assert not is_synthetic(value) and not synthetic(characters)[0]
    wider = with_layout(RULES, "france", reserved=(980, 999))
    assert synthetic(characters, wider)[0]
    assert wider.birthplace_of(value).is_reserved(value)


@pytest.mark.parametrize("layout", RULES.birthplaces, ids=lambda layout: layout.name)
def test_every_layout_is_chosen_by_its_own_prefixes(layout: Birthplace) -> None:
    for prefix in layout.prefixes:
        assert RULES.birthplace(prefix) is layout
    assert RULES.birthplace("75") is RULES.default_birthplace
