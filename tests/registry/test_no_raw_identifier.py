"""No table holds a raw identifier, in any formatting, after oppositions are filed."""

import pytest
from sqlalchemy import MetaData, select

from registry.identifiers import parse_identifier
from registry.oppositions import Filing, change_purposes, file_opposition, withdraw_opposition
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir, spaced

pytestmark = pytest.mark.db

NUMBERS = [
    make_nir(2, 85, 2, "2A", "004", 123),
    make_nir(1, 78, 11, "99", "350", 45),
    make_nir(8, 1, 42, "974", "11", 7),
    make_nir(1, 18, 3, "69", "123", 12),
]


def formattings(value: str) -> set[str]:
    """Every way the number could have been written down."""
    body = value[:13]
    corsica_digits = value.replace("2A", "19").replace("2B", "18")
    forms = {value, body, value.lower(), spaced(value), spaced(value, "."), spaced(value, "-"), corsica_digits, corsica_digits[:13]}
    return forms | {f.lower() for f in forms}


def every_cell(session):
    metadata = MetaData()
    metadata.reflect(bind=session.connection())
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)):
            for value in row:
                yield table.name, value


def find_leaks(session, numbers) -> list[str]:
    """The tables holding any formatting of any of ``numbers``, in text or in bytes."""
    needles = set().union(*(formattings(n) for n in numbers))
    encoded = {n.encode() for n in needles}
    cells = list(every_cell(session))
    assert len(cells) > 50, "the scan must actually see the filed rows"
    leaks = set()
    for table, value in cells:
        if isinstance(value, (bytes, memoryview)):
            if any(n in bytes(value) for n in encoded):
                leaks.add(table)
        elif value is not None and any(n in str(value) for n in needles):
            leaks.add(table)
    return sorted(leaks)


def file_everything(session, keyring):
    identifiers = [parse_identifier(spaced(n)) for n in NUMBERS]
    for identifier in identifiers:
        file_opposition(session, keyring, identifier)
    change_purposes(session, keyring, identifiers[0], [Purpose.AI])
    withdraw_opposition(session, keyring, identifiers[1])
    file_opposition(session, keyring, identifiers[3], None, Filing(actor="proxy", proxy_for="minor"))
    session.flush()


def test_no_table_holds_a_raw_identifier(session, keyring):
    file_everything(session, keyring)
    assert find_leaks(session, NUMBERS) == []


def test_the_scan_finds_an_identifier_planted_in_any_formatting(session, keyring):
    file_everything(session, keyring)
    planted = spaced(NUMBERS[2], ".").lower()
    file_opposition(session, keyring, parse_identifier(make_nir(2, 60, 1, "13", "055", 1)), None,
                    Filing(channel="post", actor="agent", filed_by=f"note {planted}"))
    assert find_leaks(session, NUMBERS) == ["audit_events", "opposition_versions"]
