"""The floor of the private mode's primitives on this machine, one core, per identifier.

    .venv/bin/python -m bench.ristretto_floor [--count 2000]

Two ristretto255 implementations are timed: ``voprf`` (curve25519-dalek, what the registry and
the client use) and libsodium (called through ctypes: PyNaCl 1.6.2 binds no ristretto255
function). Before timing, the libsodium path recomputes one RFC 9497 ``Evaluate`` and must give
voprf's output byte for byte, so both measure the same operations. Each figure is the best of a
few repeats, in CPU time (``time.process_time``): a floor, which a busy machine inflates least.

RFC 9497's VOPRF costs, per identifier: the client's hash-to-group and blinding scalar
multiplication, the registry's evaluation plus one term of its composite (ComputeCompositesFast),
and on the client two composite terms (ComputeComposites) and the unblinding multiplication.
Neither library offers a multi-scalar or a variable-time multiplication, so every composite term
is a full constant-time scalar multiplication: six per identifier.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voprf import ristretto  # noqa: E402

CONTEXT = b"OPRFV1-\x01-ristretto255-SHA512"  # RFC 9497: mode 0x01 (VOPRF), ristretto255-SHA512
DLEQ_BATCH = 10_000


def expand_message_xmd(message: bytes, dst: bytes, length: int = 64) -> bytes:
    """RFC 9380 expand_message_xmd with SHA-512, for the 64 bytes ristretto255 needs."""
    assert length == 64  # one output block: b_1
    suffix = dst + bytes([len(dst)])
    b_0 = hashlib.sha512(bytes(128) + message + length.to_bytes(2, "big") + b"\x00" + suffix).digest()
    return hashlib.sha512(b_0 + b"\x01" + suffix).digest()


class Sodium:
    """The ristretto255 functions of the system's libsodium, or ``None`` from ``load``."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.lib = library
        self.lib.sodium_version_string.restype = ctypes.c_char_p
        self.version = self.lib.sodium_version_string().decode()
        self._out = ctypes.create_string_buffer(32)

    @classmethod
    def load(cls) -> Sodium | None:
        name = ctypes.util.find_library("sodium")
        if name is None:
            return None
        library = ctypes.CDLL(name)
        if library.sodium_init() < 0 or not hasattr(library, "crypto_scalarmult_ristretto255"):
            return None
        return cls(library)

    def _call(self, function, *arguments: bytes) -> bytes:
        if function(self._out, *arguments) != 0:
            raise ValueError("libsodium refused the operation")
        return self._out.raw

    def hash_to_group(self, message: bytes) -> bytes:
        uniform = expand_message_xmd(message, b"HashToGroup-" + CONTEXT)
        self.lib.crypto_core_ristretto255_from_hash(self._out, uniform)
        return self._out.raw

    def hash_to_scalar(self, message: bytes, dst: bytes) -> bytes:
        self.lib.crypto_core_ristretto255_scalar_reduce(self._out, expand_message_xmd(message, dst))
        return self._out.raw

    def multiply(self, scalar: bytes, element: bytes) -> bytes:
        return self._call(self.lib.crypto_scalarmult_ristretto255, scalar, element)

    def multiply_base(self, scalar: bytes) -> bytes:
        return self._call(self.lib.crypto_scalarmult_ristretto255_base, scalar)

    def add(self, first: bytes, second: bytes) -> bytes:
        return self._call(self.lib.crypto_core_ristretto255_add, first, second)

    def invert(self, scalar: bytes) -> bytes:
        return self._call(self.lib.crypto_core_ristretto255_scalar_invert, scalar)

    def derive_key(self, seed: bytes, info: bytes) -> bytes:
        """RFC 9497 DeriveKeyPair's secret scalar (counter 0: a zero scalar has probability 2^-252)."""
        derive_input = seed + len(info).to_bytes(2, "big") + info
        return self.hash_to_scalar(derive_input + b"\x00", b"DeriveKeyPair" + CONTEXT)

    def evaluate(self, key: bytes, message: bytes) -> bytes:
        """RFC 9497 ``Evaluate``: Finalize's hash of the input and of key * HashToGroup(input)."""
        element = self.multiply(key, self.hash_to_group(message))
        return hashlib.sha512(len(message).to_bytes(2, "big") + message + len(element).to_bytes(2, "big")
                              + element + b"Finalize").digest()


REPEATS = 3  # a floor: the best of a few repeats, in CPU time, which a busy machine inflates least


def per_item(function: Callable[[int], object], count: int) -> float:
    """CPU microseconds per call of ``function(i)`` for i in range(count), best of ``REPEATS``."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        for i in range(count):
            function(i)
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def batched_dleq(evaluator, clients: list) -> tuple[float, float]:
    """Microseconds per element to generate, then to verify, one batched DLEQ proof (best of
    ``REPEATS``); generation includes the evaluation, verification the unblinding."""
    generate = verify = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        answer = evaluator.evaluate_batch([blinded for _, blinded in clients])
        generate = min(generate, time.process_time() - started)
        started = time.process_time()
        ristretto.Client.finalize_batch([client for client, _ in clients], answer, evaluator.public_key)
        verify = min(verify, time.process_time() - started)
    return generate / len(clients) * 1e6, verify / len(clients) * 1e6


def measure(count: int = 2_000) -> dict:
    """Every figure, in microseconds per identifier (per call for the primitives)."""
    messages = [f"{1_000_000_000_000 + i * 7919:015d}".encode() for i in range(count)]
    seed, info = b"\x43" * 32, b"floor"
    evaluator = ristretto.Evaluator.from_seed(seed, info)
    figures = {"voprf evaluate": per_item(lambda i: evaluator.evaluate_known_input(messages[i]), count),
               "voprf blind": per_item(lambda i: ristretto.Client.blind(messages[i]), count)}
    clients = [ristretto.Client.blind(messages[i % count]) for i in range(DLEQ_BATCH)]
    figures["voprf dleq generate"], figures["voprf dleq verify"] = batched_dleq(evaluator, clients)

    sodium = Sodium.load()
    figures["sodium"] = sodium.version if sodium else None
    if sodium is not None:
        key = sodium.derive_key(seed, info)
        if sodium.evaluate(key, messages[0]) != bytes(evaluator.evaluate_known_input(messages[0])):
            raise SystemExit("libsodium's Evaluate differs from voprf's: the floor would not measure the same thing")
        points = [sodium.hash_to_group(m) for m in messages]
        scalars = [sodium.hash_to_scalar(m, b"floor") for m in messages]
        figures.update({
            "sodium expand_message_xmd": per_item(lambda i: expand_message_xmd(messages[i], b"HashToGroup-" + CONTEXT),
                                                  count),
            "sodium hash-to-group": per_item(lambda i: sodium.hash_to_group(messages[i]), count),
            "sodium multiply": per_item(lambda i: sodium.multiply(scalars[i], points[i]), count),
            "sodium multiply base": per_item(lambda i: sodium.multiply_base(scalars[i]), count),
            "sodium add": per_item(lambda i: sodium.add(points[i], points[i - 1]), count),
            "sodium invert": per_item(lambda i: sodium.invert(scalars[i]), count),
        })
        multiply = figures["sodium multiply"]
        # Per identifier: generation = evaluation + one composite term; verification = two
        # composite terms + unblinding (+ the inverse of the blind).
        figures["sodium dleq generate"] = 2 * multiply + figures["sodium add"]
        figures["sodium dleq verify"] = 3 * multiply + 2 * figures["sodium add"] + figures["sodium invert"]
        figures["sodium blind"] = figures["sodium hash-to-group"] + multiply
    return figures


def end_to_end_floor(figures: dict) -> tuple[float, float]:
    """Client and registry CPU per identifier (us), each step on the cheaper library."""
    def cheapest(step: str) -> float:
        return min(figures[name] for name in (f"voprf {step}", f"sodium {step}") if name in figures)
    return cheapest("blind") + cheapest("dleq verify"), cheapest("dleq generate")


def report(figures: dict, cohort: int = 100_000, cores: int = 2) -> float:
    """Print the floor; returns the end-to-end floor in seconds for ``cohort`` on ``cores``."""
    print(f"floor of the primitives, one core (CPU us per identifier, best of {REPEATS}; DLEQ over a batch of 10,000):")
    print(f"  voprf (curve25519-dalek): Evaluate (hash-to-group + scalar mult + hash) {figures['voprf evaluate']:.1f}, "
          f"blind {figures['voprf blind']:.1f}, batched DLEQ generate with evaluation "
          f"{figures['voprf dleq generate']:.1f} ({figures['voprf dleq generate'] * DLEQ_BATCH / 1e6:.2f} s a batch), "
          f"verify with unblinding {figures['voprf dleq verify']:.1f} "
          f"({figures['voprf dleq verify'] * DLEQ_BATCH / 1e6:.2f} s a batch)")
    if figures["sodium"]:
        print(f"  libsodium {figures['sodium']} (through ctypes: PyNaCl 1.6.2 binds no ristretto255 function): hash-to-group "
              f"{figures['sodium hash-to-group']:.1f} (of which expand_message_xmd in Python "
              f"{figures['sodium expand_message_xmd']:.1f}), scalar mult (constant time) {figures['sodium multiply']:.1f}, "
              f"base-point scalar mult {figures['sodium multiply base']:.1f}, addition {figures['sodium add']:.1f}, "
              f"scalar inversion {figures['sodium invert']:.1f}; so DLEQ generate {figures['sodium dleq generate']:.1f}, "
              f"verify with unblinding {figures['sodium dleq verify']:.1f}")
    else:
        print("  libsodium: not found on this machine")
    print("  variable-time and multi-scalar multiplication: offered by neither, so each composite term of the "
          "DLEQ proof is a full scalar multiplication (6 per identifier in all)")
    client, server = end_to_end_floor(figures)
    seconds = cohort * (client + server) / cores / 1e6
    print(f"  per identifier, cheapest library per step: client {client:.0f} us, registry {server:.0f} us; "
          f"floor for {cohort:,} identifiers on {cores} cores: {seconds:.2f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2_000)
    report(measure(parser.parse_args().count))


if __name__ == "__main__":
    main()
