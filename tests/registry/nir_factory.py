"""Build synthetic matricules (NIR / NIA) with a correct key, for tests.

The key is computed here independently of ``registry.identifiers`` so that tests check the
module against a second implementation, not against itself. Every number built here is
synthetic; even so, failing tests should not print them (see ``SyntheticNir``).
"""

from __future__ import annotations

from typing import Any

# Corsica's letters stand for these digits in the key computation only.
_CORSICA_DIGITS = {"2A": "19", "2B": "18"}


def nir_key(body: str) -> str:
    """The 2-digit key of a 13-character body: 97 - (N mod 97), with 2A/2B at positions 6-7
    read as 19/18. Separate from the registry's code on purpose, to act as a test oracle.
    Any other non-digit counts as 0, so deliberately malformed numbers still get a key."""
    if len(body) != 13:
        raise ValueError("the body of a matricule has 13 characters")
    digits = body[:5] + _CORSICA_DIGITS.get(body[5:7], body[5:7]) + body[7:]
    n = 0
    for char in digits:
        n = n * 10 + (ord(char) - 48 if "0" <= char <= "9" else 0)
    return f"{97 - n % 97:02d}"


def make_nir(
    sex: int = 1,
    year: int = 85,
    month: int = 5,
    department: str = "75",
    commune: str | int = "056",
    order: int = 123,
    *,
    key: str | int | None = None,
) -> str:
    """A 15-character matricule with a correct key (or ``key`` if given, to build bad ones).

    ``department`` is 2 characters ("75", "2A", "20", "99") with a 3-digit ``commune`` (the
    country code when "99"), or 3 digits ("974") with a 2-digit commune. ``sex`` 7/8 makes a NIA,
    3/4 a NIR pending registration. Out-of-range parts are allowed, to build invalid numbers.
    """
    place_width = 5 - len(department)
    commune_text = commune if isinstance(commune, str) else f"{commune:0{place_width}d}"
    body = f"{sex}{year:02d}{month:02d}{department}{commune_text}{order:03d}"
    if key is None:
        key_text = nir_key(body)
    else:
        key_text = key if isinstance(key, str) else f"{key:02d}"
    return body + key_text


def spaced(nir: str, separator: str = " ") -> str:
    """The matricule as printed on a carte Vitale ("1 85 05 75 056 123 45"), for input tests."""
    groups = (nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:])
    return separator.join(groups)


def replace_at(nir: str, index: int, char: str) -> str:
    """The matricule with one character replaced, to build single-typo variants."""
    return nir[:index] + char + nir[index + 1 :]


class SyntheticNir:
    """A generated matricule whose repr shows only its label, so a failing test (including
    Hypothesis' "Falsifying example" report) never prints the number itself."""

    __slots__ = ("value", "label")

    def __init__(self, value: str, label: str) -> None:
        self.value = value
        self.label = label

    def __repr__(self) -> str:
        return f"SyntheticNir(label={self.label!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def nir_param(value: str, label: str, *values: object) -> Any:
    """A ``pytest.param`` carrying the number as a ``SyntheticNir`` with ``label`` as its id:
    pytest prints a failing test's arguments, and this way it prints only the label."""
    import pytest

    return pytest.param(SyntheticNir(value, label), *values, id=label)


def valid_nirs() -> Any:
    """A Hypothesis strategy of ``SyntheticNir`` covering every kind of valid matricule:
    metropolitan, Corsica (2A, 2B, and 20 before 1976), overseas, born abroad; NIR, pending
    NIR and NIA; real, unknown and +30 months."""
    from hypothesis import strategies as st

    sexes = st.sampled_from([1, 2, 3, 4, 7, 8])
    months = st.one_of(
        st.integers(1, 12),
        st.integers(20, 30),
        st.integers(50, 99),
        st.integers(31, 42),
    )
    years = st.integers(0, 99)
    orders = st.integers(1, 999)
    metropolitan = st.tuples(
        st.just("metropolitan"),
        years,
        st.integers(1, 95).filter(lambda d: d != 20).map(lambda d: f"{d:02d}"),
        st.integers(1, 999).map(lambda c: f"{c:03d}"),
    )
    corsica = st.tuples(
        st.just("corsica"),
        years,
        st.sampled_from(["2A", "2B"]),
        st.integers(1, 999).map(lambda c: f"{c:03d}"),
    )
    old_corsica = st.tuples(
        st.just("corsica-before-1976"),
        st.integers(0, 75),
        st.just("20"),
        st.integers(1, 999).map(lambda c: f"{c:03d}"),
    )
    overseas = st.tuples(
        st.just("overseas"),
        years,
        st.sampled_from([str(d) for d in [*range(971, 979), *range(984, 990)]]),
        st.integers(1, 99).map(lambda c: f"{c:02d}"),
    )
    abroad = st.tuples(
        st.just("abroad"),
        years,
        st.just("99"),
        st.integers(101, 999).map(lambda c: f"{c:03d}"),
    )

    @st.composite
    def build(draw: Any) -> SyntheticNir:
        label, year, department, commune = draw(
            st.one_of(metropolitan, corsica, old_corsica, overseas, abroad)
        )
        sex = draw(sexes)
        value = make_nir(sex, year, draw(months), department, commune, draw(orders))
        kind = "nia" if sex in (7, 8) else "nir"
        return SyntheticNir(value, f"{kind} {label}")

    return build()
