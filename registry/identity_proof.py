"""Proving to be the person a number belongs to: every trait the number carries, checked against
the identity FranceConnect vouched for.

A number carries sex, birth year, birth month (unless unknown) and birthplace: a département and
commune for births in France, a country for births abroad. The checks run in this order, the
first failing one naming the refusal (``IdentityMismatch``):

    sex, birth year, birth month, Corsica era, country, département

Then, when nothing contradicts the number, the traits that cannot be checked make the proof
incomplete (``Proof(False, reason)``): an unknown month (``month_unknown``), a NIA (``nia``), a
number pending registration (``pending_registration``), a missing birthplace or country claim
(``no_birthplace``), or a commune that cannot be matched to the number's (``commune_unmapped``:
communes merge and are renumbered). The caller then keeps a filing as a strengthen-only claim
and points the person to a counter or the post. The commune matches when the codes are equal,
when one side is an arrondissement of Paris, Lyon or Marseille and the other the city (or the
same arrondissement), and for Corsica before 1976 (département ``20``) when the claim is ``2A``
or ``2B`` with the same three digits.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.identifier_rules import department_of
from registry.identifiers import Identifier, IdentityMismatch, check_identity

FRANCE = "99100"
UNVERIFIABLE_REASONS = ("month_unknown", "nia", "pending_registration", "no_birthplace", "commune_unmapped")
# city code -> (département, first and last arrondissement commune numbers)
_ARRONDISSEMENTS = {
    "75056": ("75", 101, 120),
    "69123": ("69", 381, 389),
    "13055": ("13", 201, 216),
}


@dataclass(frozen=True)
class IdentityClaims:
    """What the identity provider vouched for: ``birthdate`` "YYYY-MM-DD" ("00" when unknown),
    ``birthplace`` the COG code of the birth commune (empty when born abroad), ``birthcountry``
    the INSEE code of the birth country ("99100" for France)."""

    gender: str
    birthdate: str
    birthplace: str = ""
    birthcountry: str = ""


@dataclass(frozen=True)
class Proof:
    """``proved`` when every trait was checked and matched; else why one could not be."""

    proved: bool
    unverifiable: str | None = None


def _city_of(place: str) -> str:
    """The city code when ``place`` is an arrondissement of Paris, Lyon or Marseille (or the city)."""
    for city, (department, first, last) in _ARRONDISSEMENTS.items():
        if place == city or (place[:2] == department and place[2:].isdigit() and first <= int(place[2:]) <= last):
            return city
    return place


def _same_commune(number_place: str, claimed: str) -> bool:
    if number_place == claimed or _city_of(number_place) == _city_of(claimed):
        return True
    return number_place[:2] == "20" and claimed[:2] in ("2A", "2B") and number_place[2:] == claimed[2:]


def prove_person(identifier: Identifier, claims: IdentityClaims) -> Proof:
    """Check every trait of ``identifier`` against ``claims``: raises ``IdentityMismatch`` on a
    contradiction, returns whether the proof is complete (see the module docstring)."""
    check_identity(identifier, gender=claims.gender, birthdate=claims.birthdate)
    place = identifier.place_code
    country = (claims.birthcountry or "").strip()
    birthplace = (claims.birthplace or "").strip().upper()
    if identifier.born_abroad:
        if country and country != place:
            raise IdentityMismatch("birth_country_mismatch")
    elif country and country != FRANCE:
        raise IdentityMismatch("birth_country_mismatch")
    if not identifier.born_abroad and birthplace:
        number_department, claimed_department = department_of(place), department_of(birthplace)
        corsica_before_split = number_department == "20" and claimed_department in ("2A", "2B")
        if number_department != claimed_department and not corsica_before_split:
            raise IdentityMismatch("birth_department_mismatch")
    if identifier.birth_month is None or claims.birthdate[5:7] == "00":
        return Proof(False, "month_unknown")
    if identifier.kind == "nia":
        return Proof(False, "nia")
    if identifier.pending_registration:
        return Proof(False, "pending_registration")
    if identifier.born_abroad:
        return Proof(True) if country else Proof(False, "no_birthplace")
    if not birthplace:
        return Proof(False, "no_birthplace")
    if not _same_commune(place, birthplace):
        return Proof(False, "commune_unmapped")
    return Proof(True)
