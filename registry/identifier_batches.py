"""Normalising and validating a whole batch of matricules at once: the batch lookups' hot path.

``normalise_fast`` and ``identifier_error`` (``registry.identifiers``) cost about a microsecond
per identifier between them, a third of a batch lookup's work. Here the same answers come from a
few passes over the whole batch:

* ``normalise_many``: when the batch holds only letters, digits and the ASCII separators (nearly
  always), its identifiers are joined, cleaned and upper-cased in one string, then split again.
* ``identifier_errors``: the 15-character values are read as one array of bytes, and the
  structure rules and the ``mod 97`` key are checked column by column with numpy, field by field
  as ``registry.identifier_rules.RULES`` describes them (``accepted``). A value the
  vector check does not accept goes through ``identifier_error``, which names its reason: the
  vector check only has to accept nothing that ``identifier_error`` rejects, and the property
  tests compare both paths on every kind of mistake.

With ``allow_test_identifiers=False`` (production), a valid synthetic number
(``registry.identifiers.is_synthetic``) gets ``test_identifier``: the vector path reads the rule's
two characters from the same array.

Any other batch falls back to the one-by-one functions, with the same result; so do batches of
fewer than ``VECTOR_FROM`` identifiers, for which the vector checks' fixed cost (about 100 us, some
fifty numpy calls) exceeds the one-by-one path's (a single lookup checks one identifier).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np

from registry.identifier_rules import RULES, Digits, Rules, merged
from registry.identifiers import identifier_error, is_synthetic, normalise_fast

# What normalise_fast reduces to removing " .-" and upper-casing: ASCII letters, digits and those
# three separators (no other whitespace, which strip() would also remove at the ends).
_PLAIN_BATCH: Final = re.compile(r"[0-9A-Za-z .\-\n]*").fullmatch
_SEPARATOR: Final = "\n"  # marks where each identifier ends, when no identifier holds one

VECTOR_FROM: Final = 256  # identifiers; measured: the vector checks overtake near 150 to 200

_ZERO: Final = ord("0")
_LOW_DIGITS: Final = 6  # the key's body is read in two parts, each within 32 bits


def normalise_many(raws: Sequence[str]) -> list[str]:
    """``normalise_fast`` of each identifier, in order."""
    joined = _SEPARATOR.join(raws)
    if not raws or _PLAIN_BATCH(joined) is None or joined.count(_SEPARATOR) != len(raws) - 1:
        return [normalise_fast(raw) for raw in raws]
    cleaned = joined.replace(" ", "").replace(".", "").replace("-", "").upper()
    return cleaned.split(_SEPARATOR)


def identifier_errors(values: Sequence[str], *, allow_test_identifiers: bool = True) -> list[str | None]:
    """``identifier_error`` of each already-normalised value, in order; unless
    ``allow_test_identifiers``, a valid synthetic number gets ``test_identifier``."""
    count = len(values)
    if count < VECTOR_FROM:
        if allow_test_identifiers:
            return [identifier_error(value) for value in values]
        return [_one_error(value, False) for value in values]
    errors: list[str | None] = [None] * count
    lengths = np.fromiter(map(len, values), np.int64, count)
    rows = np.flatnonzero(lengths == 15)
    accepted_rows = np.zeros(count, bool)
    if len(rows):
        # "replace" writes one "?" per character it cannot encode: offsets stay those of the
        # characters, and "?" fails every rule below
        data = np.frombuffer("".join(values).encode("ascii", "replace"), np.uint8)
        if len(rows) == count:
            table = data.reshape(count, 15)
        else:
            starts = np.cumsum(lengths) - lengths
            table = data[starts[rows, None] + np.arange(15)]
        # one contiguous row per character position, as offsets from "0" (other characters
        # wrap around to 208 and more)
        characters = np.ascontiguousarray(table.T) - np.uint8(_ZERO)
        valid = accepted(characters)
        accepted_rows[rows] = valid
        if not allow_test_identifiers:
            for index in rows[valid & synthetic(characters)].tolist():
                errors[index] = "test_identifier"
    for index in np.flatnonzero(~accepted_rows).tolist():
        errors[index] = _one_error(values[index], allow_test_identifiers)
    return errors


def _one_error(value: str, allow_test_identifiers: bool) -> str | None:
    error = identifier_error(value)
    if error is None and not allow_test_identifiers and is_synthetic(value):
        return "test_identifier"
    return error


def synthetic(characters: np.ndarray, rules: Rules = RULES) -> np.ndarray:
    """``is_synthetic`` of each column of ``characters`` (as in ``accepted``): its birthplace
    layout's ``place`` is in the layout's reserved range."""
    chosen_elsewhere = np.zeros(characters.shape[1], bool)
    result = np.zeros(characters.shape[1], bool)
    for layout in sorted(rules.birthplaces, key=lambda layout: not layout.prefixes):  # the default last
        if layout.prefixes:
            chosen = np.zeros(characters.shape[1], bool)
            for prefix in layout.prefixes:
                chosen |= _spelled(characters, layout.department.start, prefix)
            chosen_elsewhere |= chosen
        else:
            chosen = ~chosen_elsewhere
        result |= chosen & _within(_number(characters, layout.place), (layout.reserved,))
    return result


def accepted(characters: np.ndarray, rules: Rules = RULES) -> np.ndarray:
    """For each column of ``characters`` (15 rows of uint8, one per character position, as
    offsets from "0"), whether those 15 characters pass every rule of ``rules`` (those of
    ``identifier_error``): the structure, then the key."""
    width = characters.shape[1]
    default = rules.default_birthplace.department
    lettered = {code: _spelled(characters, default.start, code) for code in rules.letters}
    any_lettered = np.zeros(width, bool)
    for rows in lettered.values():
        any_lettered |= rows
    ok = (characters[:default.start].max(axis=0) <= 9) & (characters[default.end:].max(axis=0) <= 9)
    ok &= (characters[default.start:default.end].max(axis=0) <= 9) | any_lettered
    c = characters.astype(np.int16)  # every sum below stays under 2**15, whatever the characters
    for field in (rules.sex, rules.month, rules.order):
        ok &= _within(_number(c, field), field.allowed)
    birthplace = np.zeros(width, bool)
    for layout in rules.birthplaces:
        department = _within(_number(c, layout.department), layout.department.allowed) & ~any_lettered
        for code in layout.letters:
            department |= lettered[code]
        birthplace |= department & _within(_number(c, layout.place), layout.place.allowed)
    ok &= birthplace
    old_corsica = _spelled(characters, default.start, rules.old_corsica)
    ok &= ~(old_corsica & (_number(c, rules.year) >= rules.corsica_split_year % 100))
    # the key: modulus - (body mod modulus), a lettered département read as its digits
    c = c.astype(np.int32)
    for code, digits in rules.letters.items():
        for offset, digit in enumerate(digits):
            c[default.start + offset] = np.where(lettered[code], int(digit), c[default.start + offset])
    body, modulus = rules.key.start, rules.key_modulus
    high = (10 ** np.arange(body - _LOW_DIGITS - 1, -1, -1, dtype=np.int32)) @ c[:body - _LOW_DIGITS]
    low = (10 ** np.arange(_LOW_DIGITS - 1, -1, -1, dtype=np.int32)) @ c[body - _LOW_DIGITS:body]
    ok &= modulus - (high % modulus * (10**_LOW_DIGITS % modulus) + low) % modulus == _number(c, rules.key)
    return ok


def _number(c: np.ndarray, field: Digits) -> np.ndarray:
    """The field read as a number in each column (any character counts, as its offset), in 16
    bits at least."""
    number = c[field.start].astype(np.int16) if c.dtype == np.uint8 else c[field.start]
    for row in range(field.start + 1, field.end):
        number = number * 10 + c[row]
    return number


def _within(numbers: np.ndarray, allowed: tuple[tuple[int, int], ...]) -> np.ndarray:
    result = np.zeros(numbers.shape, bool)
    for low, high in merged(allowed):
        result |= (numbers == low) if low == high else (numbers >= low) & (numbers <= high)
    return result


def _spelled(characters: np.ndarray, start: int, text: str) -> np.ndarray:
    """Whether the characters from ``start`` spell ``text``, in each column."""
    result = characters[start] == ord(text[0]) - _ZERO
    for offset, char in enumerate(text[1:], 1):
        result &= characters[start + offset] == ord(char) - _ZERO
    return result
