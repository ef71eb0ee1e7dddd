import hashlib
import hmac

import pytest

from registry.hashing import IdentifierHasher
from registry.keys import SecretKey


@pytest.mark.parametrize("secret", [b"\x01" * 32, bytes(range(64)), b"\x7f" * 100], ids=["32 bytes", "64 bytes", "longer than a block"])
def test_precomputed_states_give_the_standard_hmac(secret):
    hasher = IdentifierHasher(SecretKey("k1", secret))
    for value in ("285022A00412355", "178119935004561", "x"):
        assert hasher.digest(value) == hmac.new(secret, value.encode(), hashlib.sha256).digest()


def test_different_keys_give_unrelated_digests():
    one = IdentifierHasher(SecretKey("k1", b"\x01" * 32))
    two = IdentifierHasher(SecretKey("k2", b"\x02" * 32))
    assert one.digest("178119935004561") != two.digest("178119935004561")


def test_the_secret_never_shows_in_a_repr():
    key = SecretKey("k1", bytes.fromhex("ab" * 32))
    assert "ab" * 4 not in repr(key)
    assert "ab" * 4 not in repr(IdentifierHasher(key))
    assert "k1" in repr(IdentifierHasher(key))
