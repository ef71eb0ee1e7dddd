import pytest
from sqlalchemy.orm import Session

from registry.db import create_database_engine
from registry.hashing import lookup_key
from registry.identifiers import parse_identifier
from registry.lookups import LookupResult, lookup_batch
from registry.models import Subject
from registry.oppositions import change_purposes, file_opposition, withdraw_opposition
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir, spaced

pytestmark = pytest.mark.db

OPPOSED = make_nir(2, 85, 2, "2A", "004", 123)
NOT_FILED = make_nir(1, 78, 11, "99", "350", 45)
AI_ONLY = make_nir(2, 90, 6, "75", "056", 78)
WITHDRAWN = make_nir(1, 18, 3, "69", "123", 12)


@pytest.fixture(autouse=True, params=["membership index", "database directly"])
def path(request, monkeypatch):
    """Every test runs through both paths: the membership index, and the database alone (small batches)."""
    from registry import lookups

    monkeypatch.setattr(lookups, "DIRECT_BELOW", 0 if request.param == "membership index" else 10**9)


@pytest.fixture
def filed(session, keyring):
    file_opposition(session, keyring, parse_identifier(OPPOSED))
    file_opposition(session, keyring, parse_identifier(AI_ONLY), [Purpose.AI])
    file_opposition(session, keyring, parse_identifier(WITHDRAWN))
    withdraw_opposition(session, keyring, parse_identifier(WITHDRAWN))
    session.flush()


def test_answers_come_in_input_order_with_errors_on_their_own_line(session, keyring, filed):
    sent = [spaced(OPPOSED), "not a number", NOT_FILED, AI_ONLY, OPPOSED[:-2] + "00", WITHDRAWN]
    answer = lookup_batch(session, keyring, sent, Purpose.RESEARCH)
    assert [(r.opposed, r.error) for r in answer] == [
        (True, None), (None, "length"), (False, None), (False, None), (None, "checksum"), (False, None),
    ]
    assert [r.identifier for r in answer] == sent, "each answer carries the identifier as sent"


@pytest.mark.parametrize("invalid", [1, 63, 64, 300])
def test_invalid_identifiers_keep_their_places_however_many(session, keyring, filed, invalid):
    """A few invalid identifiers get their places one way, many another: both keep input order."""
    valid = [OPPOSED, NOT_FILED, spaced(OPPOSED), AI_ONLY]
    sent = [valid[i % 4] for i in range(200)]
    for i in range(invalid):
        sent.insert((i * 7) % (len(sent) + 1), ("", "x", OPPOSED[:-2] + "00")[i % 3])
    answer = lookup_batch(session, keyring, sent, Purpose.RESEARCH)
    by_value = {OPPOSED: True, NOT_FILED: False, spaced(OPPOSED): True, AI_ONLY: False}
    reasons = {"": "empty", "x": "length", OPPOSED[:-2] + "00": "checksum"}
    expected = [(by_value.get(value), reasons.get(value)) for value in sent]
    assert [(r.opposed, r.error) for r in answer] == expected
    assert len(answer.opposed_digests) == 100


def test_the_purpose_decides(session, keyring, filed):
    assert [r.opposed for r in lookup_batch(session, keyring, [AI_ONLY, OPPOSED], Purpose.AI)] == [True, True]
    assert [r.opposed for r in lookup_batch(session, keyring, [AI_ONLY], Purpose.STATISTICS)] == [False]


def test_a_change_is_seen_by_the_next_lookup(session, keyring, filed):
    change_purposes(session, keyring, parse_identifier(OPPOSED), [Purpose.AI])
    assert [r.opposed for r in lookup_batch(session, keyring, [OPPOSED], Purpose.RESEARCH)] == [False]


def test_an_empty_batch_answers_nothing(session, keyring):
    assert list(lookup_batch(session, keyring, [], Purpose.AI)) == []


def test_a_shared_lookup_key_is_confirmed_on_the_full_digest(session, keyring, filed):
    digest = keyring.hasher.digest(NOT_FILED)
    impostor = bytes([digest[0]]) + digest[1:8] + bytes(24)  # same first 8 bytes, other digest
    session.add(Subject(id_hash=impostor, lookup_key=lookup_key(impostor), hash_key_id="x",
                        oprf_output=bytes(64), oprf_key_id="x", opposed_purposes=255, current_version=1))
    session.flush()
    assert lookup_key(impostor) == lookup_key(digest)
    assert [r.opposed for r in lookup_batch(session, keyring, [NOT_FILED], Purpose.AI)] == [False]


def test_an_opposition_committed_before_a_lookup_starts_is_seen(database_url, keyring):
    """Two connections, as a citizen's request and a warehouse's lookup would be."""
    engine = create_database_engine(database_url)
    number = make_nir(1, 60, 1, "13", "055", 999)
    try:
        with Session(engine) as reader, Session(engine) as writer:
            before = lookup_batch(reader, keyring, [number], Purpose.AI)
            reader.rollback()
            file_opposition(writer, keyring, parse_identifier(number))
            writer.commit()
            after = lookup_batch(reader, keyring, [number], Purpose.AI)
        assert ([r.opposed for r in before], [r.opposed for r in after]) == ([False], [True])
    finally:
        engine.dispose()


def test_results_never_print_the_identifier(session, keyring):
    answer = lookup_batch(session, keyring, [OPPOSED], Purpose.AI)
    assert OPPOSED not in repr(answer) and OPPOSED not in repr(list(answer))
    assert OPPOSED not in repr(LookupResult(OPPOSED, True))
