"""The rules of the INS matricule (NIR or NIA), written once, as data: ``RULES``.

A matricule is 15 characters: 13 for the person and a 2-digit key. Each field is a run of
digits at a fixed place, read as a number and allowed within ranges (``Digits``); characters 6
to 10 (the birthplace) follow one of three layouts chosen by characters 6 and 7 (``Birthplace``).
A legal change (a new overseas département, another month code, a new kind of temporary number)
is made in ``RULES`` and nowhere else: the three ways the registry checks a matricule are all
derived from it.

* ``registry.identifiers`` compiles ``pattern(RULES)`` into the one regular expression of its
  fast path (one identifier at a time), and ``explain`` walks the same table rule by rule, in the
  documented order, to name the reason of a rejection;
* ``registry.identifier_batches`` checks whole batches column by column with numpy, reading the
  same fields and ranges (``accepted``).

``tests/registry/test_identifier_rules.py`` changes a copy of the table and checks that all three
follow it, and the property tests hold the three to the same answers on every kind of mistake.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Final, Literal


@dataclass(frozen=True)
class Digits:
    """A field: ``width`` digits from index ``start``, read as a number that must lie in one of
    the ``allowed`` ranges (both ends included); ``reason`` is the rejection code otherwise."""

    start: int
    width: int
    allowed: tuple[tuple[int, int], ...]
    reason: str

    @property
    def end(self) -> int:
        return self.start + self.width

    def accepts(self, number: int) -> bool:
        return any(low <= number <= high for low, high in self.allowed)


@dataclass(frozen=True)
class Birthplace:
    """One layout of the birthplace (characters 6 to 10): a département then a commune or a
    country. ``prefixes`` are the characters 6 and 7 that choose it (none: every other pair);
    ``letters`` are département codes written with a letter and the digits the key reads in
    their place; ``reserved`` is the range of ``place`` numbers that never existed, kept for
    synthetic (demonstration and sandbox) numbers."""

    name: Literal["france", "overseas", "abroad"]
    prefixes: tuple[str, ...]
    department: Digits
    place: Digits
    reserved: tuple[int, int]
    letters: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def is_reserved(self, value: str) -> bool:
        return self.reserved[0] <= int(value[self.place.start:self.place.end]) <= self.reserved[1]


@dataclass(frozen=True)
class Sex:
    """What the first character says."""

    sex: Literal["male", "female"]
    kind: Literal["nir", "nia"]
    pending_registration: bool


@dataclass(frozen=True)
class Rules:
    """The whole matricule. The sex field and the key field are derived from ``sexes`` and
    ``key_modulus`` (key = modulus - (body mod modulus), so a key lies in 1..modulus)."""

    sexes: Mapping[str, Sex]
    year: Digits
    month: Digits
    known_months: tuple[tuple[int, int, int], ...]  # (first code, last code, what to subtract)
    birthplaces: tuple[Birthplace, ...]  # the one without prefixes is the default
    order: Digits
    key_modulus: int
    old_corsica: str  # the département code of Corsica before its split ...
    corsica_split_year: int  # ... in this year, into the ``letters`` codes of the default layout

    @property
    def sex(self) -> Digits:
        return Digits(0, 1, tuple((int(code), int(code)) for code in sorted(self.sexes)), "sex")

    @property
    def key(self) -> Digits:
        return Digits(self.order.end, 2, ((1, self.key_modulus),), "checksum")

    @property
    def length(self) -> int:
        return self.key.end

    @cached_property
    def default_birthplace(self) -> Birthplace:
        return next(layout for layout in self.birthplaces if not layout.prefixes)

    @cached_property
    def letters(self) -> Mapping[str, str]:
        """Every département code spelled with a letter, and the digits the key reads instead."""
        return {code: digits for layout in self.birthplaces for code, digits in layout.letters.items()}

    @cached_property
    def _by_prefix(self) -> Mapping[str, Birthplace]:
        return {prefix: layout for layout in self.birthplaces for prefix in layout.prefixes}

    def birthplace(self, department_prefix: str) -> Birthplace:
        """The layout that characters 6 and 7 (``department_prefix``) choose."""
        return self._by_prefix.get(department_prefix, self.default_birthplace)

    def birthplace_of(self, value: str) -> Birthplace:
        """The layout of a matricule's birthplace."""
        start = self.default_birthplace.department.start
        return self.birthplace(value[start:start + 2])

    def month_of(self, code: int) -> int | None:
        """The real birth month behind a month code, or None when the code says unknown."""
        for first, last, offset in self.known_months:
            if first <= code <= last:
                return code - offset
        return None


RULES: Final = Rules(
    # 1/2 a man or a woman, 3/4 the same while the registration is pending, 7/8 a temporary
    # number (NIA) given before a NIR exists
    sexes={
        "1": Sex("male", "nir", False), "2": Sex("female", "nir", False),
        "3": Sex("male", "nir", True), "4": Sex("female", "nir", True),
        "7": Sex("male", "nia", False), "8": Sex("female", "nia", False),
    },
    year=Digits(1, 2, ((0, 99),), "format"),  # the last two digits of the birth year
    # 01-12 the month; 31-42 the month + 30; 20-30 and 50-99 an unknown month
    month=Digits(3, 2, ((1, 12), (20, 30), (31, 42), (50, 99)), "month"),
    known_months=((1, 12, 0), (31, 42, 30)),
    birthplaces=(
        # metropolitan France and Corsica: a 2-character département, a commune 001-999; the
        # communes 990-999 exist nowhere (the most is Pas-de-Calais's 909)
        Birthplace("france", (), Digits(5, 2, ((1, 95),), "department"), Digits(7, 3, ((1, 999),), "commune"),
                   reserved=(990, 999), letters={"2A": "19", "2B": "18"}),
        # overseas: a 3-digit département, a commune 01-99; 90-99 exist nowhere (the most is 62)
        Birthplace("overseas", ("97", "98"), Digits(5, 3, ((971, 978), (984, 989)), "department"),
                   Digits(8, 2, ((1, 99),), "commune"), reserved=(90, 99)),
        # born abroad: 99 then an INSEE country code, whose hundreds digit (1-5) is the continent
        Birthplace("abroad", ("99",), Digits(5, 2, ((99, 99),), "department"), Digits(7, 3, ((101, 999),), "country"),
                   reserved=(990, 999)),
    ),
    order=Digits(10, 3, ((1, 999),), "order"),
    key_modulus=97,
    old_corsica="20",
    corsica_split_year=1976,
)


def key_digits(body: str, rules: Rules = RULES) -> str:
    """The digits the key is computed from: ``body`` with a lettered département ("2A") read
    as its digits ("19")."""
    department = rules.default_birthplace.department
    letters = rules.letters.get(body[department.start:department.end])
    return body if letters is None else body[:department.start] + letters + body[department.end:]


def key_for(body: str, rules: Rules = RULES) -> str:
    """The 2-digit key of a 13-character body (or of the first 13 characters given)."""
    body = key_digits(body[:rules.key.start], rules)
    return f"{rules.key_modulus - int(body) % rules.key_modulus:0{rules.key.width}d}"


def department_of(place_code: str, rules: Rules = RULES) -> str:
    """The département at the start of a birthplace code ("75", "2A", "974"; "99" abroad)."""
    return place_code[:rules.birthplace(place_code[:2]).department.width]


# The regular expression of the whole structure, for the fast path. Digits are spelled [0-9],
# never \d, which would accept other scripts' digits that int() would then happily read.

def pattern(rules: Rules = RULES) -> str:
    """The structure of a matricule as one expression (without the key check itself)."""
    default = rules.default_birthplace
    old_era = (
        f"(?!.{{{rules.year.start}}}{_numbers(((rules.corsica_split_year % 100, 99),), rules.year.width)}"
        f".{{{default.department.start - rules.year.end}}}{rules.old_corsica})"
    )
    layouts = []
    for layout in rules.birthplaces:
        department = _numbers(layout.department.allowed, layout.department.width)
        if layout.letters:
            department = f"(?:{department}|{'|'.join(layout.letters)})"
        layouts.append(department + _numbers(layout.place.allowed, layout.place.width))
    fields = [_field(rules.sex), _field(rules.year), _field(rules.month), f"(?:{'|'.join(layouts)})",
              _field(rules.order), _field(rules.key)]
    return old_era + "".join(fields)


def well_formed_pattern(rules: Rules = RULES) -> str:
    """Digits everywhere, but for a lettered département at its place: the ``format`` rule."""
    department = rules.default_birthplace.department
    letters = "|".join(rules.letters)
    return (f"[0-9]{{{department.start}}}(?:[0-9]{{{department.width}}}|{letters})"
            f"[0-9]{{{rules.length - department.end}}}")


def _field(field: Digits) -> str:
    return _numbers(field.allowed, field.width)


def merged(allowed: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """The same numbers as ``allowed``, in as few ranges as possible (20-30 and 31-42: 20-42)."""
    ranges: list[list[int]] = []
    for low, high in sorted(allowed):
        if ranges and low <= ranges[-1][1] + 1:
            ranges[-1][1] = max(ranges[-1][1], high)
        else:
            ranges.append([low, high])
    return tuple((low, high) for low, high in ranges)


def _numbers(allowed: tuple[tuple[int, int], ...], width: int) -> str:
    """An expression for the numbers of ``allowed`` written with exactly ``width`` digits."""
    merged_ranges = merged(allowed)
    if width == 1 and len(merged_ranges) > 1:  # one character class: "[123478]"
        return "[" + "".join(str(digit) for low, high in merged_ranges for digit in range(low, high + 1)) + "]"
    parts = [_span(f"{low:0{width}d}", f"{high:0{width}d}") for low, high in merged_ranges]
    return parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"


def _span(low: str, high: str) -> str:
    """An expression for the digit strings from ``low`` to ``high`` (of the same length)."""
    if not low:
        return ""
    if low[0] == high[0]:
        return low[0] + _span(low[1:], high[1:])
    rest = len(low) - 1
    any_rest = f"[0-9]{{{rest}}}" if rest > 1 else "[0-9]" * rest
    first, last = int(low[0]), int(high[0])
    parts = []
    if low[1:].strip("0"):  # the first digit of ``low`` does not cover its whole decade
        parts.append(low[0] + _span(low[1:], "9" * rest))
        first += 1
    tail = None
    if high[1:].strip("9"):
        tail = high[0] + _span("0" * rest, high[1:])
        last -= 1
    if first <= last:
        digit = str(first) if first == last else f"[{first}-{last}]"
        parts.append(digit + any_rest)
    if tail is not None:
        parts.append(tail)
    return parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"
