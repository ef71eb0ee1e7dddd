"""Checking the registry's transparency log from outside: RFC 9162 proofs, C2SP signed notes and
checkpoints, the leaf of an audit event and a receipt. Pure functions, no I/O.

Written from the specifications (RFC 9162 sections 2.1.3.2 and 2.1.4.2; C2SP ``signed-note`` and
``tlog-checkpoint``), apart from the server's tree code, so that a mistake in one is not
silently shared by the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT_FORMAT = "registre-opposition-receipt/1"
LEAF_FORMAT = "registre-opposition/audit-event/1"


class ProofError(Exception):
    """A proof, a note or a receipt does not hold; the message says which check failed."""


class SignatureError(ProofError):
    pass


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(leaf: bytes) -> bytes:
    return _sha256(b"\x00" + leaf)


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def verify_inclusion(leaf_digest: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """RFC 9162, 2.1.3.2: raise ProofError unless ``proof`` puts leaf ``index`` under ``root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf_digest
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the checkpoint's root")


def verify_consistency(first: int, second: int, proof: list[bytes], first_root: bytes, second_root: bytes) -> None:
    """RFC 9162, 2.1.4.2: raise ProofError unless the tree of ``second`` leaves extends the one of ``first``."""
    if first <= 0 or first > second:
        raise ProofError(f"no consistency proof exists from size {first} to size {second}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError("two different roots for the same tree size")
        return
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    if not proof:
        raise ProofError("the consistency proof is empty")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError(f"the log at size {second} does not extend the one seen at size {first}")


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofError(f"{what} is not valid base64") from None


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note verifier key: ``<name>+<hex key hash>+<base64(0x01 || Ed25519 public key)>``."""

    name: str
    key_hash: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> "VerifierKey":
        parts = text.strip().split("+", 2)  # the base64 key may hold "+" too
        if len(parts) != 3 or not parts[0] or len(parts[1]) != 8:
            raise ProofError("the verifier key is not <name>+<key hash>+<key>")
        name, hex_hash, encoded = parts
        try:
            key_hash = bytes.fromhex(hex_hash)
        except ValueError:
            raise ProofError("the verifier key's hash is not hexadecimal") from None
        raw = _b64(encoded, "the verifier key")
        if len(raw) != 33 or raw[0] != 1:
            raise ProofError("the verifier key is not an Ed25519 key")
        if _sha256(name.encode() + b"\n" + raw)[:4] != key_hash:
            raise ProofError("the verifier key's hash does not match its name and key")
        return cls(name, key_hash, raw[1:])


def open_note(note: str, key: VerifierKey) -> str:
    """The body of ``note`` if one of its signatures is ``key``'s and verifies; else SignatureError."""
    body, separator, signatures = note.partition("\n\n")
    if not separator:
        raise SignatureError("the note has no signature")
    body += "\n"
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    for line in signatures.splitlines():
        if not line.startswith("\u2014 "):
            continue
        fields = line[2:].split(" ")
        if len(fields) != 2 or fields[0] != key.name:
            continue
        raw = _b64(fields[1], "a signature")
        if raw[:4] != key.key_hash or len(raw) != 68:
            continue
        try:
            public.verify(raw[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise SignatureError(f"the signature of {key.name} does not verify") from None
        return body
    raise SignatureError(f"the note carries no signature of {key.name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @classmethod
    def parse(cls, body: str) -> "Checkpoint":
        lines = body.split("\n")
        if len(lines) < 4 or not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
            raise ProofError("the checkpoint is not origin, size and root hash")
        root = _b64(lines[2], "the checkpoint's root hash")
        if len(root) != 32:
            raise ProofError("the checkpoint's root hash is not 32 bytes")
        return cls(lines[0], int(lines[1]), root)


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    checkpoint = Checkpoint.parse(open_note(note, key))
    if checkpoint.origin != key.name:
        raise ProofError(f"the checkpoint is of log {checkpoint.origin!r}, not {key.name!r}")
    return checkpoint


@dataclass(frozen=True)
class Leaf:
    seq: int
    action: str
    time: str
    receipt: str | None
    event: str

    @classmethod
    def parse(cls, data: bytes) -> "Leaf":
        try:
            lines = data.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            raise ProofError("the leaf is not text") from None
        if lines[0] != LEAF_FORMAT or lines[-1] != "":
            raise ProofError("the leaf is not an audit event of the registry")
        fields = dict(line.partition(" ")[::2] for line in lines[1:-1])
        if not fields.get("seq", "").isdigit() or not {"action", "time", "event"} <= fields.keys():
            raise ProofError("the leaf lacks a field")
        return cls(int(fields["seq"]), fields["action"], fields["time"], fields.get("receipt"), fields["event"])


@dataclass(frozen=True)
class ReceiptCheck:
    reference: str
    index: int
    origin: str
    size: int
    leaf: Leaf
    key_from_receipt: bool


def check_receipt(receipt: dict, key: str | None = None) -> ReceiptCheck:
    """Every check of a downloaded receipt; the key to trust is ``key`` when given, else the
    receipt's own (which then proves only that the receipt is consistent with itself)."""
    try:
        proof = receipt["transparency"]
        reference = receipt["reference"]
        leaf_bytes = _b64(proof["leaf"], "the leaf")
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        hashes = [_b64(h, "a proof hash") for h in proof["inclusion_proof"]]
        note = proof["checkpoint"]
        key_text = key if key is not None else proof["key"]
    except (KeyError, TypeError, ValueError):
        raise ProofError("this is not a receipt of the registry with its transparency proof") from None
    if receipt.get("format") != RECEIPT_FORMAT:
        raise ProofError("this is not a receipt of the registry (unknown format)")
    leaf = Leaf.parse(leaf_bytes)
    if leaf.receipt != reference:
        raise ProofError(f"the log entry is about another receipt than {reference}")
    if leaf.seq != index + 1:
        raise ProofError("the log entry's number does not match its place in the log")
    checkpoint = open_checkpoint(note, VerifierKey.parse(key_text))
    if checkpoint.size != size:
        raise ProofError("the receipt's tree size is not its checkpoint's")
    verify_inclusion(leaf_hash(leaf_bytes), index, size, hashes, checkpoint.root)
    return ReceiptCheck(reference, index, checkpoint.origin, size, leaf, key is None)
