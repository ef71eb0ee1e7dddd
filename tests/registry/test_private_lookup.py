"""Private lookup: the warehouse learns who opposed among its own cohort; the registry sees only
blinded elements."""

import random

import pytest

from registry.identifiers import normalise, parse_identifier
from registry.keys import SecretKey
from registry.lookups import lookup_batch
from registry.opposition_filter import (
    PREFIX_SIZE, FilterDelta, OppositionFilter, build_filter, filter_delta, is_sorted,
)
from registry.oppositions import change_purposes, file_opposition, withdraw_opposition
from registry.oprf import InvalidElement, OprfEvaluator
from registry.private_client import ProofRejected, blind_batch, unblind_batch
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir, spaced

COHORT = [make_nir(1 + i % 2, 40 + i, 1 + i % 12, "75", "056", 100 + i) for i in range(12)]


def private_answers(session, keyring, cohort, purpose):
    """The whole private round trip, as the client runs it."""
    batch = blind_batch([normalise(v) for v in cohort])
    evaluated, proof = keyring.oprf.evaluate_blinded(batch.elements)
    outputs = unblind_batch(batch, evaluated, proof, keyring.oprf.public_key)
    published = build_filter(session, purpose, keyring.oprf.key_id)
    return [published.contains(o) for o in outputs]


@pytest.mark.db
def test_private_mode_gives_the_same_answers_as_the_ordinary_lookup(session, keyring):
    for value in COHORT[:5]:
        file_opposition(session, keyring, parse_identifier(value))
    change_purposes(session, keyring, parse_identifier(COHORT[1]), [Purpose.AI])
    withdraw_opposition(session, keyring, parse_identifier(COHORT[2]))
    file_opposition(session, keyring, parse_identifier(COHORT[7]), [Purpose.RESEARCH])
    for purpose in (Purpose.RESEARCH, Purpose.AI):
        ordinary = [r.opposed for r in lookup_batch(session, keyring, COHORT, purpose)]
        assert private_answers(session, keyring, COHORT, purpose) == ordinary
        assert True in ordinary and False in ordinary


def test_blinded_elements_reveal_nothing_stable():
    first = blind_batch([COHORT[0]]).elements[0]
    second = blind_batch([COHORT[0]]).elements[0]
    assert first != second, "each blinding uses a fresh random scalar"
    assert COHORT[0].encode() not in first


def test_a_tampered_proof_is_rejected(keyring):
    batch = blind_batch(COHORT[:3])
    evaluated, proof = keyring.oprf.evaluate_blinded(batch.elements)
    forged = bytes([proof[0] ^ 1]) + proof[1:]
    with pytest.raises(ProofRejected):
        unblind_batch(batch, evaluated, forged, keyring.oprf.public_key)


def test_an_answer_under_another_key_is_rejected(keyring):
    batch = blind_batch(COHORT[:3])
    impostor = OprfEvaluator(SecretKey("other", b"\x09" * 32))
    evaluated, proof = impostor.evaluate_blinded(batch.elements)
    with pytest.raises(ProofRejected):
        unblind_batch(batch, evaluated, proof, keyring.oprf.public_key)


def test_swapped_elements_are_rejected(keyring):
    batch = blind_batch(COHORT[:2])
    evaluated, proof = keyring.oprf.evaluate_blinded(batch.elements)
    with pytest.raises(ProofRejected):
        unblind_batch(batch, evaluated[::-1], proof, keyring.oprf.public_key)


def test_a_wrong_length_answer_is_rejected(keyring):
    batch = blind_batch(COHORT[:2])
    evaluated, proof = keyring.oprf.evaluate_blinded(batch.elements)
    with pytest.raises(ProofRejected):
        unblind_batch(batch, evaluated[:1], proof, keyring.oprf.public_key)


@pytest.mark.parametrize("element", [b"\xff" * 32, b"\x01" * 31, b""], ids=["not a point", "too short", "empty"])
def test_a_bad_blinded_element_is_named_by_its_position(keyring, element):
    good = blind_batch(COHORT[:1]).elements[0]
    with pytest.raises(InvalidElement) as error:
        keyring.oprf.evaluate_blinded([good, element])
    assert error.value.index == 1


@pytest.mark.db
def test_the_filter_is_compact_and_versioned_with_a_delta(session, keyring):
    for value in COHORT[:4]:
        file_opposition(session, keyring, parse_identifier(spaced(value)))
    first = build_filter(session, Purpose.RESEARCH, keyring.oprf.key_id)
    assert first.count == 4 and len(first.prefixes) == 4 * PREFIX_SIZE
    withdraw_opposition(session, keyring, parse_identifier(COHORT[0]))
    file_opposition(session, keyring, parse_identifier(COHORT[9]))
    second = build_filter(session, Purpose.RESEARCH, keyring.oprf.key_id)
    assert second.version > first.version and second.etag != first.etag
    delta = filter_delta(session, Purpose.RESEARCH, keyring.oprf.key_id, first.version)
    assert (len(delta.added), len(delta.removed)) == (1, 1)
    assert first.apply(delta) == second
    assert build_filter(session, Purpose.RESEARCH, keyring.oprf.key_id).etag == second.etag


@pytest.mark.db
def test_a_delta_from_the_current_or_a_future_version_is_empty(session, keyring):
    file_opposition(session, keyring, parse_identifier(COHORT[0]))
    version = build_filter(session, Purpose.AI, keyring.oprf.key_id).version
    for since in (version, version + 1, 10**15):
        delta = filter_delta(session, Purpose.AI, keyring.oprf.key_id, since)
        assert (delta.added, delta.removed, delta.version) == ([], [], version)


def _filter(prefixes):
    return OppositionFilter("research", 1, "k", b"".join(sorted(prefixes)))


def test_a_whole_batch_is_tested_against_the_filter_as_one_by_one():
    chance = random.Random(7)
    opposed = {chance.randbytes(PREFIX_SIZE) for _ in range(300)} | {b"\x00" * 8, b"\xff" * 8}
    published = _filter(opposed)
    asked = [*opposed, *(chance.randbytes(PREFIX_SIZE) for _ in range(300)), b"\x00" * 7 + b"\x01",
             b"\xff" * 7 + b"\xfe", b"\x80" * 8]
    chance.shuffle(asked)
    assert published.contains_many(b"".join(asked)) == [p in opposed for p in asked]
    assert [published.contains(p + b"\x00" * 56) for p in asked] == [p in opposed for p in asked]
    assert _filter([]).contains_many(b"".join(asked[:3])) == [False] * 3


def test_a_delta_applies_as_set_operations_on_the_prefixes():
    first = _filter([b"b" * 8, b"d" * 8, b"f" * 8])
    delta = FilterDelta("research", 1, 2, added=[b"a" * 8, b"d" * 8, b"z" * 8], removed=[b"f" * 8, b"q" * 8])
    after = first.apply(delta)
    assert after.prefixes == b"".join([b"a" * 8, b"b" * 8, b"d" * 8, b"z" * 8]) and after.version == 2
    assert first.apply(FilterDelta("research", 1, 3, [], [])).prefixes == first.prefixes
    assert is_sorted(after.prefixes) and not is_sorted(b"b" * 8 + b"a" * 8) and is_sorted(b"")
