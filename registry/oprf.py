"""RFC 9497 OPRF outputs of identifiers (ristretto255-SHA512), computed at filing time.

Why at filing: the private lookup mode (``/api/v1/private/...``) lets a warehouse learn which of
its patients opposed without the registry ever seeing its cohort. The warehouse blinds its
identifiers, the registry evaluates them under this key and proves it did so (a DLEQ proof,
``evaluate_blinded``), and the warehouse tests the unblinded outputs against the filter of the
outputs stored here (``registry.opposition_filter``). Since the registry keeps no raw
identifier, those outputs must be computed when the identifier passes through, at filing.

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
ELEMENT_SIZE = 32  # a serialised ristretto255 element
PROOF_SIZE = 64  # a DLEQ proof: two scalars
MAX_BATCH = 65_535  # the RFC's bound on a batch


class InvalidElement(ValueError):
    """A blinded element that is not a valid ristretto255 encoding; ``index`` says which."""

    code = "invalid_element"

    def __init__(self, index: int) -> None:
        super().__init__(f"blinded element {index} is not a valid ristretto255 element")
        self.index = index


class OprfEvaluator:
    """The registry's side of RFC 9497 under one key (``key_id`` goes on every stored output)."""

    def __init__(self, key: SecretKey, *, info: bytes = KEY_INFO) -> None:
        # DeriveKeyPair(seed, info): the secret file holds the 32-byte seed, the scalar follows.
        self.key_id = key.key_id
        self._evaluator = ristretto.Evaluator.from_seed(key.secret[:32], info)

    @property
    def public_key(self) -> bytes:
        """The serialised public key, with which warehouses verify the proofs."""
        return bytes(self._evaluator.public_key.serialize())

    def output(self, normalised: str) -> bytes:
        """The 64-byte OPRF output of a normalised identifier (RFC 9497 ``Evaluate``)."""
        return bytes(self._evaluator.evaluate_known_input(normalised.encode("ascii")))

    def evaluate_blinded(self, blinded: list[bytes]) -> tuple[list[bytes], bytes]:
        """``BlindEvaluate`` a batch of blinded elements, with one batched DLEQ proof.

        Returns the evaluated elements in input order and the proof that every one of them was
        computed under this key's public key. The registry sees only blinded elements: it learns
        neither the identifiers nor the outputs.
        """
        if not 1 <= len(blinded) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} elements")
        inputs = []
        for index, element in enumerate(blinded):
            if len(element) != ELEMENT_SIZE:
                raise InvalidElement(index)
            try:
                inputs.append(ristretto.BlindedInput.deserialize(element))
            except Exception:  # the binding raises a bare exception type for bad encodings
                raise InvalidElement(index) from None
        serialised = bytes(self._evaluator.evaluate_batch(inputs).serialize())
        # Layout of the binding's batch output: the proof, then the elements in order.
        proof, body = serialised[:PROOF_SIZE], serialised[PROOF_SIZE:]
        return [body[i : i + ELEMENT_SIZE] for i in range(0, len(body), ELEMENT_SIZE)], proof

    def __repr__(self) -> str:
        return f"OprfEvaluator(key_id={self.key_id!r})"
