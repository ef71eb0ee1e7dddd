"""RFC 9497 OPRF outputs of identifiers (ristretto255-SHA512), computed at filing time.

Why now: a later lookup mode lets a warehouse learn which of its patients opposed without the
registry ever seeing its cohort. The warehouse will blind its identifiers, the registry will
evaluate them under this key and prove it did so (a DLEQ proof), and the warehouse will test the
unblinded outputs against the outputs stored here. Since the registry keeps no raw identifier,
those outputs must be computed when the identifier passes through, at filing.

We compute the protocol's *verifiable* variant (VOPRF, mode 0x01). RFC 9497 puts the mode into
the hash-to-group domain separation tag, so base-mode (0x00) outputs could never match what a
warehouse unblinds from a verifiable evaluation: storing base-mode outputs would make the private
mode impossible. The server-side computation is otherwise the same ``Evaluate`` of the RFC.
"""

from __future__ import annotations

from voprf import ristretto

from registry.keys import SecretKey

KEY_INFO = b"registre-opposition identifiers v1"
OUTPUT_SIZE = 64  # SHA-512


class OprfEvaluator:
    """The registry's side of RFC 9497 under one key (``key_id`` goes on every stored output)."""

    def __init__(self, key: SecretKey, *, info: bytes = KEY_INFO) -> None:
        # DeriveKeyPair(seed, info): the secret file holds the 32-byte seed, the scalar follows.
        self.key_id = key.key_id
        self._evaluator = ristretto.Evaluator.from_seed(key.secret[:32], info)

    @property
    def public_key(self) -> bytes:
        """The serialised public key, which warehouses will use to verify proofs."""
        return bytes(self._evaluator.public_key.serialize())

    def output(self, normalised: str) -> bytes:
        """The 64-byte OPRF output of a normalised identifier (RFC 9497 ``Evaluate``)."""
        return bytes(self._evaluator.evaluate_known_input(normalised.encode("ascii")))

    def __repr__(self) -> str:
        return f"OprfEvaluator(key_id={self.key_id!r})"
