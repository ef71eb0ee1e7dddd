"""Demo content for the embedded default: fictitious people with valid-looking numbers.

These numbers are made up for development (they pass every structural rule and the key check)
and are listed on the development help page so that anyone can try the journeys. Production
refuses to load them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry.identifiers import parse_identifier
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


DEMO_PEOPLE = (
    DemoPerson("Femme née en Corse (Ajaccio), février 1985", "2 85 02 2A 004 123 55", "female", "1985-02-14", None),
    DemoPerson("Homme né à l'étranger (Maroc), novembre 1978", "1 78 11 99 350 045 61", "male", "1978-11-03", (Purpose.AI, Purpose.INNOVATION)),
    DemoPerson("Parent, née à Paris, juin 1990", "2 90 06 75 056 078 48", "female", "1990-06-21", None),
    DemoPerson("Enfant du parent, né à Lyon, mars 2018", "1 18 03 69 123 012 50", "male", "2018-03-09", ()),
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


DEMO_CITIZENS = (
    DemoCitizen("demo-marie-corse", DEMO_PEOPLE[0], "Marie", "Santoni", "2A004", "99100"),
    DemoCitizen("demo-karim-maroc", DEMO_PEOPLE[1], "Karim", "Benali", "", "99350"),
    DemoCitizen("demo-julie-parent", DEMO_PEOPLE[2], "Julie", "Martin", "75056", "99100", children=(DEMO_PEOPLE[3],)),
)
