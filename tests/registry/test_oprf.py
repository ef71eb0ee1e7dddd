"""The stored OPRF outputs follow RFC 9497 (ristretto255-SHA512, verifiable mode).

The vectors are those published in RFC 9497, appendix A.1.2 (Seed = 0xa3 repeated 32 times,
KeyInfo = "test key").
"""

import pytest

from registry.keys import SecretKey
from registry.oprf import OUTPUT_SIZE, OprfEvaluator

RFC_SEED = bytes.fromhex("a3" * 32)
RFC_KEY_INFO = b"test key"
RFC_PUBLIC_KEY = "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e"
RFC_VECTORS = [
    ("00", "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d"
           "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c"),
    ("5a" * 17, "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60"
                "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6"),
]


@pytest.fixture
def rfc_evaluator():
    return OprfEvaluator(SecretKey("rfc", RFC_SEED), info=RFC_KEY_INFO)


def test_key_derivation_matches_the_rfc_public_key(rfc_evaluator):
    assert rfc_evaluator.public_key.hex() == RFC_PUBLIC_KEY


@pytest.mark.parametrize(("message", "expected"), RFC_VECTORS, ids=["vector 1", "vector 2"])
def test_evaluate_matches_the_rfc_vectors(rfc_evaluator, message, expected):
    output = rfc_evaluator._evaluator.evaluate_known_input(bytes.fromhex(message))
    assert bytes(output).hex() == expected


def test_identifier_outputs_are_deterministic_per_key_and_64_bytes():
    one = OprfEvaluator(SecretKey("a", b"\x05" * 32))
    again = OprfEvaluator(SecretKey("a", b"\x05" * 32))
    other = OprfEvaluator(SecretKey("b", b"\x06" * 32))
    value = "178119935004561"
    assert len(one.output(value)) == OUTPUT_SIZE
    assert one.output(value) == again.output(value)
    assert one.output(value) != other.output(value)
    assert one.output(value) != one.output("285022A00412355")


# RFC 9497, appendix A.1.2 (VOPRF mode): the blinded elements of vectors 1, 2 and 3 (batch of two)
# and the evaluation elements the registry must return for them. The proofs use a random scalar,
# so only the evaluated elements are deterministic.
RFC_BLIND_EVALUATIONS = [
    (["863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945"],
     ["aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e"]),
    (["cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c"],
     ["60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468"]),
    (["863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
      "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654"],
     ["aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
      "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a"]),
]


@pytest.mark.parametrize(("blinded", "expected"), RFC_BLIND_EVALUATIONS, ids=["vector 1", "vector 2", "vector 3"])
def test_blind_evaluate_matches_the_rfc_vectors(rfc_evaluator, blinded, expected):
    evaluated, proof = rfc_evaluator.evaluate_blinded([bytes.fromhex(element) for element in blinded])
    assert [element.hex() for element in evaluated] == expected
    assert len(proof) == 64
