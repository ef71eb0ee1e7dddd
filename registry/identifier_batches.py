"""Normalising and validating a whole batch of matricules at once: the batch lookups' hot path.

``normalise_fast`` and ``identifier_error`` (``registry.identifiers``) cost about a microsecond
per identifier between them, a third of a batch lookup's work. Here the same answers come from a
few passes over the whole batch:

* ``normalise_many``: when the batch holds only letters, digits and the ASCII separators (nearly
  always), its identifiers are joined, cleaned and upper-cased in one string, then split again.
* ``identifier_errors``: the 15-character values are read as one array of bytes, and the
  structure rules and the ``mod 97`` key are checked column by column with numpy. A value the
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

from registry.identifiers import _CORSICA_DIGITS, _CORSICA_SPLIT_YEAR, identifier_error, is_synthetic, normalise_fast

# What normalise_fast reduces to removing " .-" and upper-casing: ASCII letters, digits and those
# three separators (no other whitespace, which strip() would also remove at the ends).
_PLAIN_BATCH: Final = re.compile(r"[0-9A-Za-z .\-\n]*").fullmatch
_SEPARATOR: Final = "\n"  # marks where each identifier ends, when no identifier holds one

VECTOR_FROM: Final = 256  # identifiers; measured: the vector checks overtake near 150 to 200

_ZERO: Final = ord("0")
_A, _B = ord("A") - _ZERO, ord("B") - _ZERO  # letters as offsets from "0", like the digits
_HIGH_WEIGHTS: Final = 10 ** np.arange(6, -1, -1, dtype=np.int32)  # 7 digits as a number
_LOW_WEIGHTS: Final = 10 ** np.arange(5, -1, -1, dtype=np.int32)  # 6 digits as a number
_MILLION_MOD_97: Final = 10**6 % 97


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
    accepted = np.zeros(count, bool)
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
        valid = _well_formed_with_key(characters)
        accepted[rows] = valid
        if not allow_test_identifiers:
            for index in rows[valid & _synthetic(characters)].tolist():
                errors[index] = "test_identifier"
    for index in np.flatnonzero(~accepted).tolist():
        errors[index] = _one_error(values[index], allow_test_identifiers)
    return errors


def _one_error(value: str, allow_test_identifiers: bool) -> str | None:
    error = identifier_error(value)
    if error is None and not allow_test_identifiers and is_synthetic(value):
        return "test_identifier"
    return error


def _synthetic(characters: np.ndarray) -> np.ndarray:
    """``is_synthetic`` of each column of ``characters`` (as in ``_well_formed_with_key``)."""
    overseas = (characters[5] == 9) & ((characters[6] == 7) | (characters[6] == 8))
    return (characters[8] == 9) & (overseas | (characters[7] == 9))


def _well_formed_with_key(characters: np.ndarray) -> np.ndarray:
    """For each column of ``characters`` (15 rows of uint8, one per character position, as
    offsets from "0"), whether those 15 characters pass every rule of ``identifier_error``: the
    structure of its expression, then the key."""
    corsica = (characters[5] == 2) & ((characters[6] == _A) | (characters[6] == _B))
    ok = (characters[:6].max(axis=0) <= 9) & (characters[7:].max(axis=0) <= 9) & ((characters[6] <= 9) | corsica)
    c = characters.astype(np.int16)  # every sum below stays under 2**15, whatever the characters
    ok &= (c[0] >= 1) & (c[0] <= 4) | (c[0] == 7) | (c[0] == 8)  # sex and kind
    month = c[3] * 10 + c[4]
    ok &= ((month >= 1) & (month <= 12)) | ((month >= 20) & (month <= 42)) | (month >= 50)
    department = c[5] * 10 + c[6]
    after_department = c[7] * 100 + c[8] * 10 + c[9]
    overseas = department * 10 + c[7]
    metropolitan = (corsica | ((department >= 1) & (department <= 95))) & (after_department >= 1)
    overseas_ok = ((overseas >= 971) & (overseas <= 978)) | ((overseas >= 984) & (overseas <= 989))
    overseas_ok &= c[8] * 10 + c[9] >= 1
    abroad = (department == 99) & (after_department >= 101)
    ok &= metropolitan | overseas_ok | abroad
    ok &= ~((c[1] * 10 + c[2] >= _CORSICA_SPLIT_YEAR % 100) & (department == 20))  # "20": Corsica before 1976
    ok &= c[10] * 100 + c[11] * 10 + c[12] >= 1  # order 001-999
    # the key: 97 - (body mod 97), the body reading "2A" as 19 and "2B" as 18; its first 7 and
    # last 6 characters are read apart, each within 32 bits
    c = c.astype(np.int32)
    key_digits = np.where(c[6] == _A, int(_CORSICA_DIGITS["A"]), int(_CORSICA_DIGITS["B"]))
    c[5] = np.where(corsica, key_digits // 10, c[5])
    c[6] = np.where(corsica, key_digits % 10, c[6])
    high = _HIGH_WEIGHTS @ c[:7]
    low = _LOW_WEIGHTS @ c[7:13]
    ok &= 97 - (high % 97 * _MILLION_MOD_97 + low) % 97 == c[13] * 10 + c[14]
    return ok
