"""The warehouse's side of the private lookup (RFC 9497, verifiable mode).

The warehouse blinds each normalised identifier with a fresh random scalar, sends only the
blinded elements, checks the registry's batched DLEQ proof against the registry's published
public key, and unblinds. The outputs are what the registry stored at filing, so membership in
the published filter answers "opposed?" without the cohort ever leaving the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from voprf import ristretto

from registry.oprf import ELEMENT_SIZE, PROOF_SIZE


class ProofRejected(Exception):
    """The registry's answer does not prove it used its published key: nothing can be trusted."""

    code = "proof_rejected"


@dataclass
class BlindedBatch:
    """Blinded elements to send, and the secret blinds needed to unblind the answer."""

    elements: list[bytes]
    _clients: list = field(repr=False)

    def __len__(self) -> int:
        return len(self.elements)


def blind_batch(normalised: Sequence[str]) -> BlindedBatch:
    """Blind each identifier (already normalised and validated) with a fresh random scalar."""
    clients, elements = [], []
    for value in normalised:
        client, blinded = ristretto.Client.blind(value.encode("ascii"))
        clients.append(client)
        elements.append(bytes(blinded.serialize()))
    return BlindedBatch(elements, clients)


def unblind_batch(batch: BlindedBatch, evaluated: Sequence[bytes], proof: bytes, public_key: bytes) -> list[bytes]:
    """Verify the batched proof and return the OPRF outputs, in the batch's order.

    Raises ``ProofRejected`` when the proof fails, when the answer has the wrong shape, or when
    it was computed under another key: the caller must stop rather than use any output.
    """
    if len(evaluated) != len(batch) or len(proof) != PROOF_SIZE or any(len(e) != ELEMENT_SIZE for e in evaluated):
        raise ProofRejected("the registry's answer does not match the batch that was sent")
    try:
        output = ristretto.VerifiableBatchOutput.deserialize(proof + b"".join(evaluated))
        key = ristretto.PublicKey.deserialize(public_key)
        return [bytes(o) for o in ristretto.Client.finalize_batch(batch._clients, output, key)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # the binding panics (a BaseException) when verification fails
        raise ProofRejected("the registry's proof does not verify against its public key") from None
