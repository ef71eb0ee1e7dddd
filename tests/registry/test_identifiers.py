"""Example-based tests of registry.identifiers, on synthetic numbers built with nir_factory.

A failing test must not print a number, and pytest prints three things on failure: the test's
arguments, the operands of the failing ``assert`` and the calls inside it. So numbers are passed
as ``SyntheticNir`` (whose repr is its label), results are bound to names before the ``assert``,
and only codes, booleans and descriptions are compared.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re

import pytest

from registry.identifiers import (
    IDENTITY_REASONS,
    OID_DEMO,
    OID_NIA,
    OID_NIR,
    OID_TEST,
    REASONS,
    Identifier,
    IdentityMismatch,
    InvalidIdentifier,
    check_birthdate,
    check_identity,
    identifier_error,
    normalise,
    normalise_fast,
    parse_identifier,
)
from tests.registry.nir_factory import SyntheticNir, make_nir, nir_key, nir_param, replace_at, spaced


def reason_of(raw: str, **kwargs: object) -> str | None:
    """The code parse_identifier raises for ``raw``, or None when it parses."""
    try:
        parse_identifier(raw, **kwargs)  # type: ignore[arg-type]
    except InvalidIdentifier as error:
        return error.code
    return None


def both_reasons(raw: str) -> tuple[str | None, str | None]:
    """(fast path, precise path) reasons for a raw input: they must always be equal."""
    return identifier_error(normalise(raw)), reason_of(raw)


# --- valid numbers -----------------------------------------------------------------------------

VALID = [
    nir_param(make_nir(1, 85, 5, "75", "056", 123), "metropolitan-male"),
    nir_param(make_nir(2, 62, 11, "69", "123", 1), "metropolitan-female"),
    nir_param(make_nir(2, 85, 5, "2A", "004", 123), "corsica-2A"),
    nir_param(make_nir(1, 90, 12, "2B", "033", 45), "corsica-2B"),
    nir_param(make_nir(1, 3, 1, "2A", "004", 999), "corsica-2A-born-2003"),
    nir_param(make_nir(1, 55, 3, "20", "004", 12), "corsica-20-before-1976"),
    nir_param(make_nir(2, 75, 3, "20", "144", 12), "corsica-20-year-75"),
    nir_param(make_nir(1, 10, 3, "20", "144", 12), "corsica-20-year-10"),
    nir_param(make_nir(1, 80, 4, "971", "20", 7), "overseas-guadeloupe-971"),
    nir_param(make_nir(2, 80, 4, "974", "11", 7), "overseas-reunion-974"),
    nir_param(make_nir(1, 99, 9, "976", "01", 7), "overseas-mayotte-976"),
    nir_param(make_nir(2, 1, 9, "988", "99", 7), "overseas-new-caledonia-988"),
    nir_param(make_nir(1, 70, 6, "99", "352", 44), "abroad-algeria"),
    nir_param(make_nir(2, 70, 6, "99", "101", 44), "abroad-lowest-country"),
    nir_param(make_nir(1, 70, 6, "99", "999", 44), "abroad-highest-country"),
    nir_param(make_nir(1, 40, 20, "75", "056", 5), "month-unknown-20"),
    nir_param(make_nir(2, 40, 30, "75", "056", 5), "month-unknown-30"),
    nir_param(make_nir(1, 40, 50, "75", "056", 5), "month-unknown-50"),
    nir_param(make_nir(2, 40, 99, "75", "056", 5), "month-unknown-99"),
    nir_param(make_nir(1, 40, 31, "75", "056", 5), "month-plus-30-january"),
    nir_param(make_nir(2, 40, 42, "75", "056", 5), "month-plus-30-december"),
    nir_param(make_nir(7, 85, 5, "99", "352", 123), "nia-male"),
    nir_param(make_nir(8, 85, 5, "75", "056", 123), "nia-female"),
    nir_param(make_nir(3, 85, 5, "99", "352", 123), "pending-male"),
    nir_param(make_nir(4, 85, 5, "2B", "056", 123), "pending-female"),
    nir_param(make_nir(1, 0, 1, "01", "001", 1), "lowest-fields"),
    nir_param(make_nir(2, 99, 12, "95", "999", 999), "highest-fields"),
    nir_param(make_nir(1, 85, 5, "75", "056", 17), "key-97"),
]


def test_key_97_vector_really_has_key_97() -> None:
    # the upper bound of the key range must be accepted: 97 - (N mod 97) with N mod 97 == 0
    key = make_nir(1, 85, 5, "75", "056", 17)[13:]
    assert key == "97"


@pytest.mark.parametrize("case", VALID)
def test_valid_numbers_pass_both_paths(case: SyntheticNir) -> None:
    fast, precise = both_reasons(case.value)
    assert (fast, precise) == (None, None)


@pytest.mark.parametrize("case", VALID)
def test_parsed_value_is_the_normalised_number(case: SyntheticNir) -> None:
    nir = case.value
    parsed = parse_identifier(spaced(nir.lower(), " . "))
    same_value = parsed.value == nir
    same_place = parsed.place_code == nir[5:10]
    assert same_value, "the parsed value is not the normalised number"
    assert same_place, "the place code is not characters 6 to 10"


def test_fields_of_a_metropolitan_nir() -> None:
    parsed = parse_identifier(make_nir(2, 62, 11, "69", "123", 1))
    assert (parsed.kind, parsed.sex, parsed.pending_registration) == ("nir", "female", False)
    assert (parsed.birth_year_2d, parsed.birth_month, parsed.born_abroad) == (62, 11, False)
    assert parsed.department == "69"


@pytest.mark.parametrize(
    ("sex", "kind", "gender", "pending"),
    [
        pytest.param(1, "nir", "male", False, id="1-nir-male"),
        pytest.param(2, "nir", "female", False, id="2-nir-female"),
        pytest.param(3, "nir", "male", True, id="3-pending-male"),
        pytest.param(4, "nir", "female", True, id="4-pending-female"),
        pytest.param(7, "nia", "male", False, id="7-nia-male"),
        pytest.param(8, "nia", "female", False, id="8-nia-female"),
    ],
)
def test_sex_digit_decodes_kind_sex_and_pending(
    sex: int, kind: str, gender: str, pending: bool
) -> None:
    parsed = parse_identifier(make_nir(sex=sex))
    assert (parsed.kind, parsed.sex, parsed.pending_registration) == (kind, gender, pending)


@pytest.mark.parametrize(
    ("code", "month"),
    [
        *[pytest.param(code, code, id=f"real-{code:02d}") for code in range(1, 13)],
        *[pytest.param(code, code - 30, id=f"plus30-{code}") for code in range(31, 43)],
        *[pytest.param(code, None, id=f"unknown-{code}") for code in range(20, 31)],
        *[pytest.param(code, None, id=f"unknown-{code}") for code in (50, 63, 99)],
    ],
)
def test_birth_month_decoding(code: int, month: int | None) -> None:
    parsed = parse_identifier(make_nir(month=code))
    assert parsed.birth_month == month


@pytest.mark.parametrize(
    ("department", "commune", "expected", "abroad"),
    [
        pytest.param("2A", "004", "2A", False, id="corsica-2A"),
        pytest.param("20", "004", "20", False, id="corsica-20"),
        pytest.param("974", "11", "974", False, id="overseas"),
        pytest.param("99", "352", "99", True, id="abroad"),
        pytest.param("01", "001", "01", False, id="metropolitan"),
    ],
)
def test_department_and_born_abroad(
    department: str, commune: str, expected: str, abroad: bool
) -> None:
    parsed = parse_identifier(make_nir(year=50, department=department, commune=commune))
    assert (parsed.department, parsed.born_abroad) == (expected, abroad)


# --- Corsica key substitution ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "naive_digits"),
    [
        pytest.param("2A", "20", id="2A-read-as-20"),
        pytest.param("2A", "18", id="2A-read-as-2B"),
        pytest.param("2A", "00", id="2A-letters-dropped-as-0"),
        pytest.param("2B", "20", id="2B-read-as-20"),
        pytest.param("2B", "19", id="2B-read-as-2A"),
        pytest.param("2B", "00", id="2B-letters-dropped-as-0"),
    ],
)
def test_corsica_key_without_the_substitution_is_rejected(
    department: str, naive_digits: str
) -> None:
    right = make_nir(2, 85, 5, department, "004", 123)
    naive_body = right[:5] + naive_digits + right[7:13]
    naive_key = nir_key(naive_body)
    assert naive_key != right[13:], "the naive key happens to be right; pick another vector"
    fast, precise = both_reasons(right[:13] + naive_key)
    assert (fast, precise) == ("checksum", "checksum")


def test_corsica_key_vector_computed_by_hand() -> None:
    # 2 85 05 2A 004 123: N = 2850519004123 (2A read as 19), key = 97 - N mod 97.
    n = 2850519004123
    fast, precise = both_reasons("285052A004123" + f"{97 - n % 97:02d}")
    assert (fast, precise) == (None, None)


# --- invalid numbers, one per reason -----------------------------------------------------------

_BASE = make_nir()
_SWAPPABLE = make_nir(order=124)  # key 87: swapping its digits changes it

INVALID = [
    nir_param("", "empty", "empty"),
    nir_param("   ", "only-spaces", "empty"),
    nir_param(" .-\u00a0\u2013 ", "only-separators", "empty"),
    nir_param(_BASE[:14], "length-14", "length"),
    nir_param(_BASE + "0", "length-16", "length"),
    nir_param("1", "length-1", "length"),
    nir_param(replace_at(_BASE, 2, "X"), "format-letter-in-year", "format"),
    nir_param(replace_at(_BASE, 14, "A"), "format-letter-in-key", "format"),
    nir_param(make_nir(department="2C"), "format-2C", "format"),
    nir_param(make_nir(department="3A"), "format-3A", "format"),
    nir_param(make_nir(department="A2"), "format-A2", "format"),
    nir_param(make_nir(department="2A", commune="00A"), "format-letter-after-2A", "format"),
    nir_param(replace_at(_BASE, 0, "A"), "format-letter-as-sex", "format"),
    nir_param(replace_at(_BASE, 4, "\u0665"), "format-arabic-indic-digit", "format"),
    nir_param(replace_at(_BASE, 4, "\u00b2"), "format-superscript-two", "format"),
    nir_param(replace_at(_BASE, 4, "\uff15"), "format-fullwidth-digit", "format"),
    nir_param(replace_at(_BASE, 7, "\t"), "format-inner-tab", "format"),
    nir_param(make_nir(sex=0), "sex-0", "sex"),
    nir_param(make_nir(sex=5), "sex-5", "sex"),
    nir_param(make_nir(sex=6), "sex-6", "sex"),
    nir_param(make_nir(sex=9), "sex-9", "sex"),
    nir_param(make_nir(month=0), "month-00", "month"),
    nir_param(make_nir(month=13), "month-13", "month"),
    nir_param(make_nir(month=19), "month-19", "month"),
    nir_param(make_nir(month=43), "month-43", "month"),
    nir_param(make_nir(month=49), "month-49", "month"),
    nir_param(make_nir(department="00"), "department-00", "department"),
    nir_param(make_nir(department="96"), "department-96", "department"),
    nir_param(make_nir(year=76, department="20"), "department-20-in-76", "department"),
    nir_param(make_nir(year=99, department="20"), "department-20-in-99", "department"),
    nir_param(make_nir(department="970", commune="11"), "overseas-970", "department"),
    nir_param(make_nir(department="979", commune="11"), "overseas-979", "department"),
    nir_param(make_nir(department="980", commune="11"), "overseas-980", "department"),
    nir_param(make_nir(department="983", commune="11"), "overseas-983", "department"),
    nir_param(make_nir(department="975", commune="00"), "overseas-commune-00", "commune"),
    nir_param(make_nir(department="75", commune="000"), "commune-000", "commune"),
    nir_param(make_nir(department="2B", commune="000"), "commune-000-in-2B", "commune"),
    nir_param(make_nir(department="99", commune="000"), "country-000", "country"),
    nir_param(make_nir(department="99", commune="100"), "country-100", "country"),
    nir_param(make_nir(department="99", commune="042"), "country-042", "country"),
    nir_param(make_nir(order=0), "order-000", "order"),
    nir_param(make_nir(key="00"), "checksum-key-00", "checksum"),
    nir_param(make_nir(key="98"), "checksum-key-98", "checksum"),
    nir_param(make_nir(key="99"), "checksum-key-99", "checksum"),
    nir_param(replace_at(_BASE, 12, "4"), "checksum-typo-in-order", "checksum"),
    nir_param(_SWAPPABLE[:13] + _SWAPPABLE[:12:-1], "checksum-key-digits-swapped", "checksum"),
    # the order of the checks: the earlier rule wins
    nir_param(make_nir(sex=9, department="2C"), "format-before-sex", "format"),
    nir_param(make_nir(sex=5, month=13), "sex-before-month", "sex"),
    nir_param(make_nir(month=0, department="96"), "month-before-department", "month"),
    nir_param(make_nir(department="96", order=0), "department-before-order", "department"),
    nir_param(make_nir(commune="000", order=0), "commune-before-order", "commune"),
    nir_param(make_nir(order=0, key="00"), "order-before-checksum", "order"),
]


@pytest.mark.parametrize(("case", "code"), INVALID)
def test_each_invalid_class_has_its_reason(case: SyntheticNir, code: str) -> None:
    fast, precise = both_reasons(case.value)
    assert (fast, precise) == (code, code)


@pytest.mark.parametrize(("case", "code"), INVALID)
def test_errors_never_show_the_number(case: SyntheticNir, code: str) -> None:
    raw = case.value
    with pytest.raises(InvalidIdentifier) as caught:
        parse_identifier(raw)
    error = caught.value
    texts = (str(error), repr(error), *map(str, error.args))
    value = normalise(raw)
    # (too short an input, like "1", is found in any text: only look for real attempts)
    leaks = len(value) >= 5 and any(value in text or raw in text for text in texts)
    assert not leaks, "an exception text contains the number"
    assert error.code == code
    assert str(error) == REASONS[code]
    assert error.__cause__ is None and error.__context__ is None


def test_every_reason_is_tested_and_has_a_message() -> None:
    tested = {param.values[1] for param in INVALID} | {"oid", "test_identifier"}
    assert tested == set(REASONS)
    assert all(message.endswith(".") for message in REASONS.values())


def test_invalid_identifier_survives_pickling() -> None:
    restored = pickle.loads(pickle.dumps(InvalidIdentifier("month")))
    assert type(restored) is InvalidIdentifier
    assert (restored.code, str(restored)) == ("month", REASONS["month"])


# --- exhaustive agreement of the fast path with the rules, field by field ----------------------


def test_every_month_code() -> None:
    for month in range(100):
        fast, precise = both_reasons(make_nir(month=month))
        valid = 1 <= month <= 12 or 20 <= month <= 42 or month >= 50
        assert fast == precise, f"month {month:02d}"
        assert (fast is None) == valid, f"month {month:02d}"


def test_every_two_digit_department_around_1976() -> None:
    for year in (0, 75, 76, 99):
        for department in range(100):
            fast, precise = both_reasons(
                make_nir(year=year, department=f"{department:02d}", commune="401")
            )
            # commune "401" reads as overseas 974 / 984 + "01", or as country 401 after "99"
            valid = department not in (0, 96) and (department != 20 or year < 76)
            assert fast == precise, f"year {year:02d}, department {department:02d}"
            assert (fast is None) == valid, f"year {year:02d}, department {department:02d}"


def test_every_overseas_department_and_commune() -> None:
    for department in range(970, 990):
        for commune in range(100):
            fast, precise = both_reasons(make_nir(department=str(department), commune=commune))
            known = 971 <= department <= 978 or 984 <= department <= 989
            expected = None if known and commune else ("commune" if known else "department")
            assert (fast, precise) == (expected, expected), f"{department}, {commune:02d}"


def test_every_country_and_commune_code() -> None:
    for code in range(1000):
        abroad = both_reasons(make_nir(department="99", commune=code))
        home = both_reasons(make_nir(department="2B", commune=code))
        assert abroad == ((None, None) if code > 100 else ("country", "country")), f"{code:03d}"
        assert home == ((None, None) if code else ("commune", "commune")), f"{code:03d}"


def test_every_order_and_sex_digit() -> None:
    for order in range(1000):
        reasons = both_reasons(make_nir(order=order))
        assert reasons == ((None, None) if order else ("order", "order")), f"order {order:03d}"
    for sex in range(10):
        reasons = both_reasons(make_nir(sex=sex))
        expected = None if sex in (1, 2, 3, 4, 7, 8) else "sex"
        assert reasons == (expected, expected), f"sex {sex}"


# --- normalisation -----------------------------------------------------------------------------

_CORSICAN = make_nir(2, 85, 5, "2A", "004", 123)

NOISY = [
    nir_param(spaced(_CORSICAN), "carte-vitale-spaces"),
    nir_param(spaced(_CORSICAN, "."), "dots"),
    nir_param(spaced(_CORSICAN, "-"), "dashes"),
    nir_param(spaced(_CORSICAN, "\u00a0"), "no-break-spaces"),
    nir_param(spaced(_CORSICAN, "\u202f"), "narrow-no-break-spaces"),
    nir_param(spaced(_CORSICAN, "\u2010"), "unicode-hyphen"),
    nir_param(spaced(_CORSICAN, "\u2011"), "non-breaking-hyphen"),
    nir_param(spaced(_CORSICAN, "\u2012"), "figure-dash"),
    nir_param(spaced(_CORSICAN, "\u2013"), "en-dash"),
    nir_param(_CORSICAN.lower(), "lower-case-2a"),
    nir_param(f"\t {_CORSICAN}\r\n", "surrounding-whitespace"),
    nir_param(f" {spaced(_CORSICAN.lower(), ' - ')}. ", "everything-at-once"),
    nir_param(_CORSICAN, "already-normal"),
]


@pytest.mark.parametrize("noisy", NOISY)
def test_normalisation_recovers_the_number(noisy: SyntheticNir) -> None:
    recovered = normalise(noisy.value) == _CORSICAN and normalise_fast(noisy.value) == _CORSICAN
    assert recovered, "normalisation did not recover the number"
    fast, precise = both_reasons(noisy.value)
    assert (fast, precise) == (None, None)


def test_unknown_characters_are_left_for_the_rules() -> None:
    slashed = both_reasons(spaced(_CORSICAN, "/"))
    underscored = both_reasons(spaced(_CORSICAN, "_")[:15])
    assert slashed == ("length", "length")
    assert underscored == ("format", "format")
    assert normalise("\u2014") == "\u2014"  # an em dash is not a separator


def test_identifier_error_expects_normalised_input() -> None:
    lower = identifier_error(_CORSICAN.lower())
    with_spaces = identifier_error(spaced(_CORSICAN))
    assert (lower, with_spaces) == ("format", "length")


def test_normalise_refuses_non_text_without_echoing_it() -> None:
    with pytest.raises(TypeError) as caught:
        normalise(_CORSICAN.encode())  # type: ignore[arg-type]
    leaks = "285" in str(caught.value)
    assert not leaks


# --- OIDs --------------------------------------------------------------------------------------

_NIR = make_nir(1, 85, 5, "75", "056", 123)
_NIA = make_nir(7, 85, 5, "99", "352", 123)

OID_CASES = [
    nir_param(_NIR, "nir-with-nir-oid", OID_NIR, True, None),
    nir_param(_NIA, "nia-with-nia-oid", OID_NIA, True, None),
    nir_param(_NIR, "oid-with-spaces", f" {OID_NIR} ", True, None),
    nir_param(_NIA, "nia-with-nir-oid", OID_NIR, True, "oid"),
    nir_param(_NIR, "nir-with-nia-oid", OID_NIA, True, "oid"),
    nir_param(make_nir(sex=3), "pending-nir-with-nia-oid", OID_NIA, True, "oid"),
    nir_param(_NIR, "unknown-oid", "1.2.250.1.213.1.4.2", True, "oid"),
    nir_param(_NIR, "empty-oid", "", True, "oid"),
    nir_param(_NIR, "test-oid-allowed", OID_TEST, True, None),
    nir_param(_NIA, "demo-oid-allowed", OID_DEMO, True, None),
    nir_param(_NIR, "test-oid-refused", OID_TEST, False, "test_identifier"),
    nir_param(_NIA, "demo-oid-refused", OID_DEMO, False, "test_identifier"),
    nir_param(_NIR, "nir-oid-when-tests-refused", OID_NIR, False, None),
    nir_param(_NIR, "no-oid-when-tests-refused", None, False, None),
    # order: OID-only checks before the number's, kind consistency after
    nir_param("", "unknown-oid-before-empty", "9.9.9", True, "oid"),
    nir_param("", "test-oid-before-empty", OID_TEST, False, "test_identifier"),
    nir_param(make_nir(sex=7, key="00"), "checksum-before-kind", OID_NIR, True, "checksum"),
]


@pytest.mark.parametrize(("case", "oid", "allow", "code"), OID_CASES)
def test_oid_rules(case: SyntheticNir, oid: str | None, allow: bool, code: str | None) -> None:
    found = reason_of(case.value, oid=oid, allow_test_identifiers=allow)
    assert found == code


# --- repr and str never show the number --------------------------------------------------------


@pytest.mark.parametrize("case", VALID)
def test_repr_and_str_hide_the_number(case: SyntheticNir) -> None:
    parsed = parse_identifier(case.value)
    for text in (repr(parsed), str(parsed), f"{parsed}", f"{parsed!r}"):
        shows_a_run = re.search(r"[0-9AB]{4,}", text) is not None
        shows_place = case.value[5:10] in text
        assert not shows_a_run, "a repr or str shows part of the number"
        assert not shows_place, "a repr or str shows the place code"
    assert str(parsed) == "Identifier(<hidden>)"


def test_identifier_is_immutable_and_hashable() -> None:
    parsed = parse_identifier(_NIR)
    with pytest.raises(AttributeError):
        parsed.value = _NIA  # type: ignore[misc]
    assert parsed == parse_identifier(spaced(_NIR))
    assert len({parsed, parse_identifier(_NIR)}) == 1
    assert isinstance(parsed, Identifier)


# --- identity cross-checks ---------------------------------------------------------------------

_WOMAN_1985_MAY = parse_identifier(make_nir(2, 85, 5, "75", "056", 123))
_MAN_1962_UNKNOWN_MONTH = parse_identifier(make_nir(1, 62, 20, "13", "055", 7))
_MAN_1990_PLUS30_MARCH = parse_identifier(make_nir(1, 90, 33, "99", "352", 7))
_NIA_WOMAN_2001_MAY = parse_identifier(make_nir(8, 1, 5, "99", "352", 7))
_PENDING_MAN_1970 = parse_identifier(make_nir(3, 70, 1, "59", "350", 7))
_CORSICA_2A_1985 = parse_identifier(make_nir(1, 85, 5, "2A", "004", 7))
_CORSICA_2B_1975 = parse_identifier(make_nir(1, 75, 5, "2B", "004", 7))
_CORSICA_20_1960 = parse_identifier(make_nir(2, 60, 5, "20", "004", 7))
_CORSICA_20_2005 = parse_identifier(make_nir(2, 5, 5, "20", "004", 7))

MATCHING = [
    pytest.param(_WOMAN_1985_MAY, "female", "1985-05-17", id="exact"),
    pytest.param(_WOMAN_1985_MAY, "female", dt.date(1985, 5, 17), id="date-object"),
    pytest.param(_WOMAN_1985_MAY, "female", dt.datetime(1985, 5, 17, 8), id="datetime-object"),
    pytest.param(_WOMAN_1985_MAY, "female", "1985-05-00", id="franceconnect-day-00"),
    pytest.param(_WOMAN_1985_MAY, "female", "1985-00-00", id="franceconnect-month-00"),
    pytest.param(_WOMAN_1985_MAY, "female", "1985-05-31", id="last-day-of-month"),
    pytest.param(_WOMAN_1985_MAY, "female", "1885-05-17", id="year-on-two-digits-only"),
    pytest.param(_MAN_1962_UNKNOWN_MONTH, "male", "1962-07-14", id="nir-month-unknown"),
    pytest.param(_MAN_1962_UNKNOWN_MONTH, "male", "1962-00-00", id="both-months-unknown"),
    pytest.param(_MAN_1990_PLUS30_MARCH, "male", "1990-03-01", id="plus-30-month"),
    pytest.param(_NIA_WOMAN_2001_MAY, "female", "2001-05-31", id="nia-born-2001"),
    pytest.param(_PENDING_MAN_1970, "male", "1970-01-01", id="pending-registration"),
    pytest.param(_CORSICA_2A_1985, "male", "1985-05-01", id="2A-after-1976"),
    pytest.param(_CORSICA_20_1960, "female", "1960-05-01", id="20-before-1976"),
    pytest.param(_CORSICA_20_1960, "female", "1960-00-00", id="20-month-unknown"),
]


@pytest.mark.parametrize(("identifier", "gender", "birthdate"), MATCHING)
def test_matching_identity_passes(identifier: Identifier, gender: str, birthdate: object) -> None:
    check_identity(identifier, gender=gender, birthdate=birthdate)  # type: ignore[arg-type]
    check_birthdate(identifier, birthdate)  # type: ignore[arg-type]


SEX_MISMATCHES = [
    pytest.param(_WOMAN_1985_MAY, "male", "1985-05-17", "sex_mismatch", id="female-as-male"),
    pytest.param(_MAN_1990_PLUS30_MARCH, "female", "1990-03-01", "sex_mismatch", id="male"),
    pytest.param(_NIA_WOMAN_2001_MAY, "male", "2001-05-01", "sex_mismatch", id="nia"),
    pytest.param(_PENDING_MAN_1970, "female", "1970-01-01", "sex_mismatch", id="pending"),
    pytest.param(_WOMAN_1985_MAY, "Female", "1985-05-17", "sex_mismatch", id="unknown-word"),
    pytest.param(_WOMAN_1985_MAY, "", "1985-05-17", "sex_mismatch", id="empty-gender"),
    # order: an invalid date is reported before the sex, the sex before the year
    pytest.param(_WOMAN_1985_MAY, "male", "1985-02-30", "birthdate_invalid", id="date-first"),
    pytest.param(_WOMAN_1985_MAY, "male", "1984-06-17", "sex_mismatch", id="sex-before-year"),
]

BIRTH_MISMATCHES = [
    pytest.param(_WOMAN_1985_MAY, "1984-05-17", "birth_year_mismatch", id="year"),
    pytest.param(_WOMAN_1985_MAY, "1995-05-17", "birth_year_mismatch", id="year-decade"),
    pytest.param(_WOMAN_1985_MAY, "1984-00-00", "birth_year_mismatch", id="year-month-00"),
    pytest.param(_WOMAN_1985_MAY, "1985-06-17", "birth_month_mismatch", id="month"),
    pytest.param(_WOMAN_1985_MAY, "1985-06-00", "birth_month_mismatch", id="month-day-00"),
    pytest.param(_WOMAN_1985_MAY, dt.date(1985, 4, 30), "birth_month_mismatch", id="month-date"),
    pytest.param(_MAN_1990_PLUS30_MARCH, "1990-04-01", "birth_month_mismatch", id="plus-30"),
    pytest.param(_MAN_1990_PLUS30_MARCH, "1990-02-28", "birth_month_mismatch", id="plus-30-low"),
    pytest.param(_CORSICA_2A_1985, "1885-05-01", "department_era_mismatch", id="2A-in-1885"),
    pytest.param(_CORSICA_2B_1975, "1975-05-01", "department_era_mismatch", id="2B-in-1975"),
    pytest.param(_CORSICA_2B_1975, "1975-00-00", "department_era_mismatch", id="2B-month-00"),
    pytest.param(_CORSICA_20_2005, "2005-05-01", "department_era_mismatch", id="20-in-2005"),
    pytest.param(_WOMAN_1985_MAY, "1985-02-30", "birthdate_invalid", id="february-30"),
    pytest.param(_WOMAN_1985_MAY, "1985-13-01", "birthdate_invalid", id="month-13"),
    pytest.param(_WOMAN_1985_MAY, "1985-00-17", "birthdate_invalid", id="day-without-month"),
    pytest.param(_WOMAN_1985_MAY, "0000-00-00", "birthdate_invalid", id="year-0"),
    pytest.param(_WOMAN_1985_MAY, "17/05/1985", "birthdate_invalid", id="french-format"),
    pytest.param(_WOMAN_1985_MAY, "1985-5-17", "birthdate_invalid", id="no-padding"),
    pytest.param(_WOMAN_1985_MAY, "1985-05-17T00:00", "birthdate_invalid", id="with-time"),
    pytest.param(_WOMAN_1985_MAY, "", "birthdate_invalid", id="empty"),
    pytest.param(_WOMAN_1985_MAY, None, "birthdate_invalid", id="none"),
    pytest.param(_WOMAN_1985_MAY, "\u0661\u0669\u0668\u0665-05-17", "birthdate_invalid",
                 id="non-ascii-digits"),
    # order: year, then month, then era
    pytest.param(_WOMAN_1985_MAY, "1984-06-17", "birth_year_mismatch", id="year-before-month"),
    pytest.param(_CORSICA_2B_1975, "1975-06-01", "birth_month_mismatch", id="month-before-era"),
]


def _identity_code(identifier: Identifier, gender: str, birthdate: object) -> str | None:
    try:
        check_identity(identifier, gender=gender, birthdate=birthdate)  # type: ignore[arg-type]
    except IdentityMismatch as error:
        assert str(error) == IDENTITY_REASONS[error.code]
        assert error.__context__ is None and error.__cause__ is None
        return error.code
    return None


def _birthdate_code(identifier: Identifier, birthdate: object) -> str | None:
    try:
        check_birthdate(identifier, birthdate)  # type: ignore[arg-type]
    except IdentityMismatch as error:
        return error.code
    return None


@pytest.mark.parametrize(("identifier", "gender", "birthdate", "code"), SEX_MISMATCHES)
def test_sex_mismatch_and_check_order(
    identifier: Identifier, gender: str, birthdate: object, code: str
) -> None:
    assert _identity_code(identifier, gender, birthdate) == code


@pytest.mark.parametrize(("identifier", "birthdate", "code"), BIRTH_MISMATCHES)
def test_birth_mismatches_same_in_both_checks(
    identifier: Identifier, birthdate: object, code: str
) -> None:
    with_sex = _identity_code(identifier, identifier.sex, birthdate)
    without_sex = _birthdate_code(identifier, birthdate)
    assert (with_sex, without_sex) == (code, code)


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param(_WOMAN_1985_MAY, id="female"),
        pytest.param(_PENDING_MAN_1970, id="male"),
    ],
)
def test_check_birthdate_does_not_look_at_sex(identifier: Identifier) -> None:
    # A proxy files for a child with only a birth date: there is no sex to contradict.
    birthdate = f"{1900 + identifier.birth_year_2d}-{identifier.birth_month:02d}-01"
    assert _birthdate_code(identifier, birthdate) is None


def test_every_identity_reason_is_tested() -> None:
    tested = {p.values[3] for p in SEX_MISMATCHES} | {p.values[2] for p in BIRTH_MISMATCHES}
    birthplace = {"birth_department_mismatch", "birth_country_mismatch"}  # tests/registry/test_identity_proof.py
    assert tested | birthplace == set(IDENTITY_REASONS)


def test_identity_mismatch_survives_pickling() -> None:
    restored = pickle.loads(pickle.dumps(IdentityMismatch("sex_mismatch")))
    assert type(restored) is IdentityMismatch
    assert restored.code == "sex_mismatch"
