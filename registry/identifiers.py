"""INS matricule (NIR or NIA): normalisation, validation, parsing and identity cross-checks.

The matricule is 15 characters: 13 for the person and a 2-digit control key. It is the most
sensitive value the registry handles, so nothing here ever puts it in an exception message, a
``repr`` or a ``str``: errors carry a stable *code* and a generic message only.

Two validation paths give the same answers:

* ``identifier_error`` is the fast path for one identifier at a time: one precompiled regular
  expression for the structure, then an integer ``mod 97`` for the key. Only when the expression
  rejects does it run the precise rules, to name the reason. Batch lookups (millions of
  identifiers) use ``registry.identifier_batches``, which gives the same answers for a whole
  batch at once.
* ``parse_identifier`` runs the precise rules one by one and decodes the fields.

The precise rules are checked in this fixed order, so each kind of mistake has one stable reason
(the first rule that fails wins):

    empty, length, format, sex, month, department, commune or country, order, checksum

``parse_identifier`` adds the OID checks around them: an unknown OID (``oid``) and a test or
demonstration OID when those are refused (``test_identifier``) come first, because they make the
number irrelevant; then, when test numbers are refused, a synthetic number (``test_identifier``);
an OID that contradicts the number's kind (``oid``) comes last, because it needs a number that is
valid in itself.

The fields, their ranges, the birthplace layouts, the Corsica rules and the key are data in
``registry.identifier_rules.RULES``: the expression, the rule-by-rule checks and the decoding
here are all built from that table, as are the batch checks.

Synthetic numbers (``is_synthetic``, built by ``synthetic_number``) are the demonstration numbers
of ``portal.demo`` and the sandbox's: valid numbers, key included, whose birthplace never existed,
so that refusing them (production does) never refuses a real person. The reserved birthplaces
are the ``reserved`` ranges of the table's layouts: communes 990 to 999 in France (the official
geographic code numbers each département's communes from 001, later creations taking the next
free numbers; Pas-de-Calais stops at 909, and the arrondissements of Paris, Lyon and Marseille
use 1xx, 3xx and 2xx), communes 90 to 99 overseas (the most is 62, Guyane), and country codes
990 to 999 abroad (the hundreds digit of a country code is its continent, 1 to 5).
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from registry.identifier_rules import RULES, Rules, department_of, key_digits, key_for, pattern, well_formed_pattern

OID_NIR: Final = "1.2.250.1.213.1.4.8"
OID_NIA: Final = "1.2.250.1.213.1.4.9"
OID_TEST: Final = "1.2.250.1.213.1.4.10"
OID_DEMO: Final = "1.2.250.1.213.1.4.11"

REASONS: Final[dict[str, str]] = {
    "empty": "No identifier was given.",
    "length": "The identifier must have 15 characters: 13 plus a 2-digit key.",
    "format": "The identifier contains characters that are not allowed.",
    "sex": "The first digit must be 1, 2, 3, 4, 7 or 8.",
    "month": "The birth month (digits 4 and 5) is not valid.",
    "department": "The birth department (from the 6th character) is not valid.",
    "commune": "The birth commune code is not valid.",
    "country": "The birth country code is not valid.",
    "order": "The order number (digits 11 to 13) is not valid.",
    "checksum": "The key (last 2 digits) does not match the number: check for a typing mistake.",
    "oid": "The identifier type (OID) is unknown or does not match the number.",
    "test_identifier": "Test and demonstration identifiers are not accepted here.",
}

IDENTITY_REASONS: Final[dict[str, str]] = {
    "sex_mismatch": "The sex does not match the identifier.",
    "birth_year_mismatch": "The birth year does not match the identifier.",
    "birth_month_mismatch": "The birth month does not match the identifier.",
    "birthdate_invalid": "The birth date is not a valid date.",
    "birth_department_mismatch": "The birth department does not match the identifier.",
    "birth_country_mismatch": "The birth country does not match the identifier.",
    "department_era_mismatch": (
        "The birth department does not match the birth year "
        "(Corsica is 20 before 1976, 2A or 2B from 1976)."
    ),
}

_NIR_OIDS: Final = {OID_NIR: "nir", OID_NIA: "nia", OID_TEST: "test", OID_DEMO: "demo"}

# Characters removed anywhere: the space, dot and dash, plus no-break, narrow no-break, thin and
# figure spaces and the Unicode hyphens U+2010..U+2013.
_ASCII_SEPARATORS: Final = " .-"
_SEPARATORS: Final = _ASCII_SEPARATORS + "\u00a0\u202f\u2009\u2007\u2010\u2011\u2012\u2013"
_DELETE: Final = str.maketrans("", "", _SEPARATORS)

# The whole structure in one expression, for the fast path (see ``identifier_rules.pattern``).
_FAST_PATTERN: Final = re.compile(pattern(RULES), re.ASCII)
_fast_match = _FAST_PATTERN.fullmatch
_WELL_FORMED: Final = re.compile(well_formed_pattern(RULES), re.ASCII).fullmatch
# The one character that is a letter in a lettered département ("2A"): the fast path reads it to
# know when the key needs the département's digits.
_LETTER_AT: Final = RULES.default_birthplace.department.start + min(
    index for code in RULES.letters for index, char in enumerate(code) if not char.isdigit())
_MODULUS: Final = RULES.key_modulus
_KEY_BASE: Final = 10**RULES.key.width
_KEY_FACTOR: Final = (_KEY_BASE - 1) % _MODULUS
_BIRTHDATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII).fullmatch


class InvalidIdentifier(ValueError):
    """A matricule was rejected; ``code`` says why (a key of ``REASONS``), never which number."""

    def __init__(self, code: str) -> None:
        super().__init__(REASONS[code])
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuild from the code, so the error survives pickling (e.g. multiprocessing batches)."""
        return (type(self), (self.code,))


class IdentityMismatch(ValueError):
    """Identity claims contradict the matricule; ``code`` is a key of ``IDENTITY_REASONS``."""

    def __init__(self, code: str) -> None:
        super().__init__(IDENTITY_REASONS[code])
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuild from the code, so the error survives pickling."""
        return (type(self), (self.code,))


@dataclass(frozen=True, slots=True)
class Identifier:
    """A valid matricule and what it says. Build it with ``parse_identifier``, not directly."""

    value: str = field(repr=False)
    kind: Literal["nir", "nia"]
    sex: Literal["male", "female"]
    pending_registration: bool
    birth_year_2d: int
    birth_month: int | None
    place_code: str = field(repr=False)
    born_abroad: bool

    def __str__(self) -> str:
        """Hide the number: an identifier dropped into a log line or template must not leak."""
        return "Identifier(<hidden>)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Use the safe repr in pretty printers (IPython, Hypothesis), which otherwise print
        every dataclass field, ``repr=False`` or not."""
        printer.text(repr(self))

    @property
    def department(self) -> str:
        """The birth department ("75", "2A", "974") or "99" for abroad, for the era check."""
        return department_of(self.place_code)


def normalise(raw: str) -> str:
    """Turn what a person typed or a file held into the canonical form that is validated and
    hashed, so that "2 85 05 2a 004 123 45" and "285052A00412345" are the same person.
    Separators go first, then surrounding whitespace: stripping last makes it idempotent."""
    if not isinstance(raw, str):
        raise TypeError("an identifier must be given as text")
    return normalise_fast(raw)


def normalise_fast(raw: str) -> str:
    """``normalise`` without the type check, for batch loops. ASCII input (nearly all of it)
    avoids ``str.translate``, which costs more than everything else here put together."""
    if raw.isascii():
        if raw.isalnum():  # the common case: nothing to strip or remove
            return raw.upper()
        # the same as the general case below, for the ASCII members of _SEPARATORS
        return raw.replace(" ", "").replace(".", "").replace("-", "").strip().upper()
    return raw.translate(_DELETE).strip().upper()


def identifier_error(normalised: str) -> str | None:
    """None if the already-normalised matricule is valid, else the reason code. One at a time
    (``registry.identifier_batches`` checks whole batches): a valid number costs one regex match, one int() and one ``mod 97``; the
    precise rule-by-rule checks only run to name the reason of a rejection."""
    if _fast_match(normalised) is None:
        return _explain(normalised)
    if normalised[_LETTER_AT] > "9":  # 2A or 2B: the key reads them as 19 or 18
        normalised = key_digits(normalised)
    # With V = 100 N + K the whole number, M = 97 and K in 01..97 (enforced by the pattern):
    # K == M - N mod M  <=>  N + K = 0 (mod M)  <=>  100 (N + K) = V + 99 K = V + 2 K = 0
    # (mod M), 100 being invertible mod M. One int() of the whole string instead of two.
    number = int(normalised)
    return None if (number + _KEY_FACTOR * (number % _KEY_BASE)) % _MODULUS == 0 else "checksum"


def is_synthetic(normalised: str) -> bool:
    """Whether a valid, normalised matricule is a demonstration or sandbox number: its birthplace
    is one of the reserved ones that never existed (see the module docstring). The one rule for
    both; callers check validity first (``identifier_error``), this looks at the birthplace only."""
    return RULES.birthplace_of(normalised).is_reserved(normalised)


def synthetic_number(sex: int, birth_year_2d: int, month: int, department: str, order: int, place: int = 0) -> str:
    """A valid synthetic matricule (key included), for demonstrations and the sandbox: born in
    ``department`` ("75", "2A", "974", or "99" for abroad) at the reserved commune (or country)
    ``place`` (0 to 9: commune 990 to 999, overseas 90 to 99, country 990 to 999)."""
    layout = RULES.birthplace(department[:2])
    first, last = layout.reserved
    if not 0 <= place <= last - first:
        raise ValueError("place is one of the 10 reserved birthplaces, 0 to 9")
    commune = f"{first + place:0{layout.place.width}d}"
    body = f"{sex}{birth_year_2d:02d}{month:02d}{department}{commune}{order:03d}"
    value = body + key_for(body)
    if len(value) != RULES.length or identifier_error(value) is not None or not is_synthetic(value):
        raise ValueError("these parts do not make a valid synthetic number")
    return value


def parse_identifier(
    raw: str, *, oid: str | None = None, allow_test_identifiers: bool = True
) -> Identifier:
    """Validate a matricule as typed or received (with its INS OID when known) and decode it.
    Raises ``InvalidIdentifier`` with the first failing rule, in the module's documented order;
    the OID guards against a NIA filed as a NIR, and ``allow_test_identifiers=False`` (production:
    every entry point passes the ``ALLOW_TEST_IDENTIFIERS`` setting) refuses test OIDs and
    synthetic numbers (``is_synthetic``) alike."""
    kind_by_oid = None
    if oid is not None:
        kind_by_oid = _NIR_OIDS.get(oid.strip())
        if kind_by_oid is None:
            raise InvalidIdentifier("oid")
        if kind_by_oid in ("test", "demo") and not allow_test_identifiers:
            raise InvalidIdentifier("test_identifier")
    value = normalise(raw)
    reason = _explain(value)
    if reason is not None:
        raise InvalidIdentifier(reason)
    if not allow_test_identifiers and is_synthetic(value):
        raise InvalidIdentifier("test_identifier")
    identifier = _decode(value)
    if kind_by_oid in ("nir", "nia") and kind_by_oid != identifier.kind:
        raise InvalidIdentifier("oid")
    return identifier


def check_identity(
    identifier: Identifier, *, gender: str, birthdate: str | _dt.date
) -> None:
    """Refuse a matricule that contradicts the identity FranceConnect vouched for, so that
    nobody files an opposition under someone else's number by mistake. ``gender`` is "male" or
    "female"; ``birthdate`` is "YYYY-MM-DD" where "00" marks an unknown month or day.
    Order: birthdate_invalid, sex_mismatch, then the birth date checks of ``check_birthdate``."""
    year, month = _parse_birthdate(birthdate)
    if gender not in ("male", "female") or gender != identifier.sex:
        raise IdentityMismatch("sex_mismatch")
    _check_birth(identifier, year, month)


def check_birthdate(identifier: Identifier, birthdate: str | _dt.date) -> None:
    """The birth date part of ``check_identity``, for a proxy filing for a child, where only the
    child's birth date is known. Order: birthdate_invalid, birth_year_mismatch,
    birth_month_mismatch, department_era_mismatch."""
    year, month = _parse_birthdate(birthdate)
    _check_birth(identifier, year, month)


def _key_matches(value: str) -> bool:
    """The key check as the rule states it, on a well-formed value (only 2A/2B hold letters).
    The fast path uses an equivalent formula; the tests hold the two to the same answers."""
    return key_for(value) == value[RULES.key.start:]


def _explain(value: str, rules: Rules = RULES) -> str | None:
    """The precise rules of ``rules``, one by one in the documented order: the first that fails
    names the reason; None when all pass. Both public paths rely on this for their reason codes."""
    if not value:
        return "empty"
    if len(value) != rules.length:
        return "length"
    well_formed = _WELL_FORMED if rules is RULES else re.compile(well_formed_pattern(rules), re.ASCII).fullmatch
    if well_formed(value) is None:
        return "format"
    for field in (rules.sex, rules.month):
        if not field.accepts(int(value[field.start:field.end])):
            return field.reason
    layout = rules.birthplace_of(value)
    department = value[layout.department.start:layout.department.end]
    if department not in layout.letters:
        if not layout.department.accepts(int(department)):
            return layout.department.reason
        if department == rules.old_corsica and int(value[rules.year.start:rules.year.end]) >= rules.corsica_split_year % 100:
            return layout.department.reason
    for field in (layout.place, rules.order):
        if not field.accepts(int(value[field.start:field.end])):
            return field.reason
    if key_for(value, rules) != value[rules.key.start:]:
        return rules.key.reason
    return None


def _decode(value: str) -> Identifier:
    """Read the fields of a value that passed every rule."""
    sex = RULES.sexes[value[RULES.sex.start]]
    place = slice(RULES.default_birthplace.department.start, RULES.order.start)
    return Identifier(
        value=value,
        kind=sex.kind,
        sex=sex.sex,
        pending_registration=sex.pending_registration,
        birth_year_2d=int(value[RULES.year.start:RULES.year.end]),
        birth_month=RULES.month_of(int(value[RULES.month.start:RULES.month.end])),
        place_code=value[place],
        born_abroad=RULES.birthplace_of(value).name == "abroad",
    )


def _parse_birthdate(birthdate: str | _dt.date) -> tuple[int, int | None]:
    """(year, month or None) from a date or a FranceConnect "YYYY-MM-DD" string, where "00"
    means unknown. A known day with an unknown month makes no sense and is refused."""
    if isinstance(birthdate, _dt.date):
        return birthdate.year, birthdate.month
    match = _BIRTHDATE(birthdate) if isinstance(birthdate, str) else None
    if match is None:
        raise IdentityMismatch("birthdate_invalid")
    year, month, day = (int(part) for part in match.groups())
    if year == 0 or month > 12 or (month == 0 and day != 0):
        raise IdentityMismatch("birthdate_invalid")
    if month and day > calendar.monthrange(year, month)[1]:
        raise IdentityMismatch("birthdate_invalid")
    return year, month or None


def _check_birth(identifier: Identifier, year: int, month: int | None) -> None:
    """The checks shared by ``check_identity`` and ``check_birthdate``: year on its last two
    digits, month only when both sides know it, then the Corsica department era."""
    if year % 100 != identifier.birth_year_2d:
        raise IdentityMismatch("birth_year_mismatch")
    if month is not None and identifier.birth_month is not None and month != identifier.birth_month:
        raise IdentityMismatch("birth_month_mismatch")
    department = identifier.department
    if (department in RULES.letters and year < RULES.corsica_split_year) or (
        department == RULES.old_corsica and year >= RULES.corsica_split_year
    ):
        raise IdentityMismatch("department_era_mismatch")
