"""One batch of the private mode, as a worker process runs it: blind, have the registry evaluate,
verify the proof, unblind.

Kept apart from ``registre_client.private`` so that a worker process imports only what a batch
needs (the HTTP client and the RFC 9497 client side), not the database layer behind the filter:
a worker starts in about a tenth of a second instead of a third.
"""

from __future__ import annotations

from registre_client.api import RegistryClient
from registry.private_client import ProofRejected, blind_batch, unblind_batch


class BatchEvaluator:
    """Blind a batch, have the registry evaluate it, verify the proof, unblind: the first
    ``prefix_size`` bytes of each output (what the filter holds), concatenated in the batch's order."""

    def __init__(self, client: RegistryClient, purpose: str, key_id: str, public_key: bytes, prefix_size: int) -> None:
        self.client, self.purpose, self.key_id, self.public_key = client, purpose, key_id, public_key
        self.prefix_size = prefix_size

    def __call__(self, values: list[str]) -> bytes:
        batch = blind_batch(values)
        key_id, evaluated, proof = self.client.private_evaluate(self.purpose, batch.elements)
        if key_id != self.key_id:
            raise ProofRejected(f"the registry answered under key {key_id!r} instead of {self.key_id!r}")
        outputs = unblind_batch(batch, evaluated, proof, self.public_key)
        return b"".join(output[:self.prefix_size] for output in outputs)


_worker: BatchEvaluator | None = None


def start_worker(url, client_id, client_secret, retries, purpose, key_id, public_key, prefix_size,
                 permit=None) -> None:
    """The initializer of each worker process: its own connection to the registry."""
    global _worker
    _worker = BatchEvaluator(RegistryClient(url, client_id, client_secret, retries=retries, permit=permit), purpose,
                             key_id, public_key, prefix_size)


def evaluate_in_worker(values: list[str]) -> bytes:
    return _worker(values)
