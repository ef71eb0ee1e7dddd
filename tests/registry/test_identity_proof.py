"""Proving to be the person: every trait the number carries against the FranceConnect claims.
One test per birthplace class; a mismatch is refused, a trait that cannot be checked gives an
incomplete proof (a strengthen-only claim for the caller)."""

from __future__ import annotations

import pytest

from registry.identifiers import IdentityMismatch, parse_identifier
from registry.identity_proof import IdentityClaims, Proof, prove_person
from tests.registry.nir_factory import make_nir


def woman(year: int = 85, month: int = 2, department: str = "2A", commune: str = "004", sex: int = 2):
    return parse_identifier(make_nir(sex, year, month, department, commune, 123))


def claims(birthdate="1985-02-14", birthplace="2A004", birthcountry="99100", gender="female") -> IdentityClaims:
    return IdentityClaims(gender, birthdate, birthplace, birthcountry)


def refusal(identifier, identity) -> str | None:
    try:
        prove_person(identifier, identity)
    except IdentityMismatch as error:
        return error.code
    return None


def test_every_trait_matching_in_mainland_france_proves_the_person():
    assert prove_person(woman(department="69", commune="387"), claims(birthplace="69387")) == Proof(True)


@pytest.mark.parametrize("identity, code", [
    (claims(gender="male"), "sex_mismatch"),
    (claims(birthdate="1986-02-14"), "birth_year_mismatch"),
    (claims(birthdate="1985-03-14"), "birth_month_mismatch"),
    (claims(birthplace="75056"), "birth_department_mismatch"),
    (claims(birthplace="2B033"), "birth_department_mismatch"),
    (claims(birthcountry="99350"), "birth_country_mismatch"),
], ids=["sex", "year", "month", "departement", "other-corsican-departement", "country"])
def test_a_mismatch_of_any_trait_is_refused(identity, code):
    assert refusal(woman(), identity) == code


def test_born_abroad_matches_the_country_and_nothing_else():
    moroccan = parse_identifier(make_nir(1, 78, 11, "99", "350", 45))
    man = dict(gender="male", birthdate="1978-11-03")
    assert prove_person(moroccan, IdentityClaims(**man, birthplace="", birthcountry="99350")) == Proof(True)
    assert refusal(moroccan, IdentityClaims(**man, birthplace="", birthcountry="99134")) == "birth_country_mismatch"
    assert refusal(moroccan, IdentityClaims(**man, birthplace="69123", birthcountry="99100")) == "birth_country_mismatch"
    assert prove_person(moroccan, IdentityClaims(**man)) == Proof(False, "no_birthplace")


def test_a_number_born_in_france_refuses_a_foreign_birth_country():
    assert refusal(woman(department="75", commune="056"), claims(birthplace="", birthcountry="99350")) == "birth_country_mismatch"


def test_overseas_departements_compare_three_digits():
    reunion = parse_identifier(make_nir(2, 85, 2, "97", "411", 123))
    assert prove_person(reunion, claims(birthplace="97411")) == Proof(True)
    assert refusal(reunion, claims(birthplace="97209")) == "birth_department_mismatch"


def test_corsica_after_1976_is_2a_or_2b_and_before_it_20_matches_either():
    assert prove_person(woman(), claims()) == Proof(True)
    before_split = parse_identifier(make_nir(2, 70, 2, "20", "004", 123))
    assert prove_person(before_split, claims(birthdate="1970-02-01", birthplace="2A004")) == Proof(True)
    bastia_before = parse_identifier(make_nir(2, 70, 2, "20", "033", 123))
    assert prove_person(bastia_before, claims(birthdate="1970-02-01", birthplace="2B033")) == Proof(True)
    assert refusal(before_split, claims(birthdate="1970-02-01", birthplace="13055")) == "birth_department_mismatch"


@pytest.mark.parametrize("department, arrondissement, city", [
    ("75", "112", "75056"), ("69", "383", "69123"), ("13", "208", "13055"),
], ids=["paris", "lyon", "marseille"])
def test_an_arrondissement_matches_its_city_both_ways(department, arrondissement, city):
    in_arrondissement = woman(department=department, commune=arrondissement)
    assert prove_person(in_arrondissement, claims(birthplace=city)) == Proof(True)
    assert prove_person(in_arrondissement, claims(birthplace=department + arrondissement)) == Proof(True)
    in_city = woman(department=department, commune=city[2:])
    assert prove_person(in_city, claims(birthplace=department + arrondissement)) == Proof(True)


def test_another_arrondissement_of_the_same_city_still_matches_the_city():
    # Only the city can be checked: FranceConnect may send either code for the same person.
    assert prove_person(woman(department="75", commune="112"), claims(birthplace="75105")) == Proof(True)


def test_a_commune_that_cannot_be_matched_gives_a_strengthen_only_proof():
    assert prove_person(woman(), claims(birthplace="2A041")) == Proof(False, "commune_unmapped")
    assert prove_person(woman(department="69", commune="387"), claims(birthplace="69266")) == Proof(False, "commune_unmapped")


@pytest.mark.parametrize("identifier, identity, reason", [
    (woman(month=20), claims(), "month_unknown"),
    (woman(month=99), claims(), "month_unknown"),
    (woman(), claims(birthdate="1985-00-00"), "month_unknown"),
    (woman(sex=8), claims(), "nia"),
    (woman(sex=4), claims(), "pending_registration"),
    (woman(), claims(birthplace=""), "no_birthplace"),
], ids=["month-code-20", "month-code-99", "claim-month-00", "nia", "pending", "no-birthplace"])
def test_a_trait_that_cannot_be_checked_gives_a_strengthen_only_proof(identifier, identity, reason):
    assert prove_person(identifier, identity) == Proof(False, reason)


def test_a_missing_country_claim_does_not_refuse_a_birth_in_france():
    assert prove_person(woman(), claims(birthcountry="")) == Proof(True)
