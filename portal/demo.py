"""Demo content for the embedded default: fictitious people with synthetic numbers.

Their numbers are built by ``registry.identifiers.synthetic_number``: valid (every structural
rule and the key) but born in a commune (or, abroad, a country) that never existed, the reserved
birthplaces of ``is_synthetic``. They are listed on the development help page so that anyone can
try the journeys; production refuses them wherever a number is typed or sent (the
``ALLOW_TEST_IDENTIFIERS`` setting, off in production), and refuses to load them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry.identifiers import parse_identifier, synthetic_number
from registry.oppositions import Filing, current_opposition, file_opposition
from registry.purposes import Purpose

from portal.keys import keyring


@dataclass(frozen=True)
class DemoPerson:
    label: str
    nir: str
    gender: str
    birthdate: str
    opposes: tuple[Purpose, ...] | None  # None: no opposition seeded; () would mean all purposes


def _printed(value: str) -> str:
    """A number as printed on a carte Vitale: "2 85 02 2A 990 123 60"."""
    return " ".join((value[0], value[1:3], value[3:5], value[5:7], value[7:10], value[10:13], value[13:]))


def _demo_number(sex: int, birthdate: str, department: str, order: int) -> str:
    """The synthetic number of someone born on ``birthdate`` in ``department``'s first reserved
    commune (or, for "99", the first reserved country)."""
    year, month = int(birthdate[2:4]), int(birthdate[5:7])
    return _printed(synthetic_number(sex, year, month, department, order))


# Each born in a fictitious commune (or country) of a real département: Corsica after 1976
# (2A), abroad (99), Paris (75) and the Rhône (69).
DEMO_PEOPLE = (
    DemoPerson("Femme née en Corse-du-Sud (commune fictive 2A990), février 1985",
               _demo_number(2, "1985-02-14", "2A", 123), "female", "1985-02-14", None),
    DemoPerson("Homme né à l'étranger (pays fictif 99990), novembre 1978",
               _demo_number(1, "1978-11-03", "99", 45), "male", "1978-11-03", (Purpose.AI, Purpose.INNOVATION)),
    DemoPerson("Parent, née à Paris (commune fictive 75990), juin 1990",
               _demo_number(2, "1990-06-21", "75", 78), "female", "1990-06-21", None),
    DemoPerson("Enfant du parent, né dans le Rhône (commune fictive 69990), mars 2018",
               _demo_number(1, "2018-03-09", "69", 12), "male", "2018-03-09", ()),
)


def seed_demo_content(session: Session) -> int:
    """File the demo oppositions that are not there yet; return how many were created."""
    created = 0
    keys = keyring()
    for person in DEMO_PEOPLE:
        if person.opposes is None:
            continue
        identifier = parse_identifier(person.nir)
        if current_opposition(session, keys, identifier).active:
            continue
        filing = Filing(channel="counter", actor="agent", filed_by="demo")
        file_opposition(session, keys, identifier, person.opposes or None, filing)
        created += 1
    return created


@dataclass(frozen=True)
class DemoCitizen:
    """A demo person as the development identity provider knows them (FranceConnect claims).

    Their identity matches a ``DEMO_PEOPLE`` number, so that they can file for themselves; the
    parent can also file for her child as a proxy. Listed on the development help page.
    """

    sub: str
    person: DemoPerson
    given_name: str
    family_name: str
    birthplace: str  # INSEE code of the birth commune; empty when born abroad
    birthcountry: str  # INSEE code of the birth country, 99100 for France
    children: tuple[DemoPerson, ...] = ()

    def claims(self) -> dict:
        return {
            "sub": self.sub,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "gender": self.person.gender,
            "birthdate": self.person.birthdate,
            "birthplace": self.birthplace,
            "birthcountry": self.birthcountry,
            "acr": "eidas1",
        }


def _birthplace(person: DemoPerson) -> str:
    """The COG code of the (fictitious) birth commune the number carries; empty for abroad."""
    place = person.nir.replace(" ", "")[5:10]
    return "" if place.startswith("99") else place


def _birthcountry(person: DemoPerson) -> str:
    place = person.nir.replace(" ", "")[5:10]
    return place if place.startswith("99") else "99100"


# The identity provider's claims agree with each number's traits (the subs keep their first
# names: "demo-karim-maroc" is a stable login name, not a birthplace).
DEMO_CITIZENS = tuple(
    DemoCitizen(sub, person, given, family, _birthplace(person), _birthcountry(person), children)
    for sub, person, given, family, children in (
        ("demo-marie-corse", DEMO_PEOPLE[0], "Marie", "Santoni", ()),
        ("demo-karim-maroc", DEMO_PEOPLE[1], "Karim", "Benali", ()),
        ("demo-julie-parent", DEMO_PEOPLE[2], "Julie", "Martin", (DEMO_PEOPLE[3],)),
    )
)
