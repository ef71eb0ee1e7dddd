"""Checking the registry's transparency log from outside, with no I/O: RFC 9162 Merkle proofs,
C2SP signed notes and checkpoints, the leaf of an audit event, and the receipt that bundles them.

Written from the specifications (RFC 9162 sections 2.1.3.2 and 2.1.4.2; c2sp.org/signed-note and
c2sp.org/tlog-checkpoint), apart from the server's tree and signing code, so that a mistake in one
is not silently shared by the other. Every refusal raises ``ProofError`` (``SignatureError`` for a
note) whose message says, in plain English, which check failed; it names no receipt and no one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT_FORMAT = "registre-opposition-receipt/1"
HASH_SIZE = 32
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the signed-note spec asks to accept at least 16
ED25519 = 0x01  # the signed-note signature type


class ProofError(Exception):
    """A proof, a checkpoint, a leaf or a receipt does not hold."""


class SignatureError(ProofError):
    """A signed note is malformed or carries no valid signature of the trusted key."""


# --- RFC 9162 Merkle tree proofs ---------------------------------------------------------------

def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of a leaf, SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _require_hashes(*hashes: bytes) -> None:
    if any(not isinstance(h, bytes) or len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"a hash of the proof is not {HASH_SIZE} bytes long")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 2.1.3.2: return if ``proof`` puts the leaf of hash ``leaf_hash`` at ``index`` in
    the tree of ``size`` leaves whose root hash is ``root``; else raise ProofError."""
    if not 0 <= index < size:
        raise ProofError(f"there is no entry {index} in a log of {size} entries")
    _require_hashes(leaf_hash, root, *proof)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof has more hashes than the tree has levels")
        if fn & 1 or fn == sn:
            r = _node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof has fewer hashes than the tree has levels")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the checkpoint's root hash")


def verify_consistency(first_size: int, second_size: int, proof: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> None:
    """RFC 9162 2.1.4.2: return if ``proof`` shows that the tree of ``second_size`` leaves
    (``second_root``) keeps, unchanged, the first ``first_size`` leaves of the tree whose root is
    ``first_root``; else raise ProofError."""
    if first_size < 1:
        raise ProofError("no consistency proof starts from an empty log")
    if first_size > second_size:
        raise ProofError(f"a log of {second_size} entries cannot extend one of {first_size}")
    _require_hashes(first_root, second_root, *proof)
    if first_size == second_size:
        if proof:
            raise ProofError("the consistency proof between two trees of the same size is not empty")
        if first_root != second_root:
            raise ProofError(f"two different root hashes for the same size {first_size}")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = [first_root, *proof] if first_size & (first_size - 1) == 0 else list(proof)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof has more hashes than the trees have levels")
        if fn & 1 or fn == sn:
            fr, sr = _node_hash(c, fr), _node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof has fewer hashes than the trees have levels")
    if fr != first_root:
        raise ProofError(f"the consistency proof does not lead to the root hash seen at size {first_size}")
    if sr != second_root:
        raise ProofError(f"the consistency proof does not lead to the root hash of size {second_size}")


# --- C2SP signed notes and checkpoints ---------------------------------------------------------

def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # also a non-ASCII string
        raise ProofError(f"{what} is not valid base64") from None


def _valid_name(name: str) -> bool:
    """A key name: not empty, no space of any kind, no plus."""
    return bool(name) and "+" not in name and not any(character.isspace() for character in name)


def _key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """The key a note is checked against, obtained apart from the note: a signed-note verifier
    key, ``<name>+<key hash, 8 hex digits>+<base64(0x01 || Ed25519 public key)>``."""

    name: str
    key_hash: bytes
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        if not isinstance(text, str):
            raise ProofError("the verifier key is not text")
        name, _, rest = text.strip().partition("+")
        hex_hash, _, encoded = rest.partition("+")
        if not _valid_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_hash) or not encoded:
            raise ProofError("the verifier key is not of the form <name>+<key hash>+<key>")
        raw = _b64(encoded, "the verifier key")
        if len(raw) != 1 + 32 or raw[0] != ED25519:
            raise ProofError("the verifier key is not an Ed25519 key")
        if _key_hash(name, raw[1:]) != bytes.fromhex(hex_hash):
            raise ProofError("the verifier key's hash does not match its name and key")
        return cls(name, bytes.fromhex(hex_hash), raw[1:])

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"


def _signature_line(line: str) -> tuple[str, bytes]:
    """The key name and the decoded signature (key hash, then signature) of a signature line."""
    if line.startswith(SIGNATURE_PREFIX):
        name, _, encoded = line[len(SIGNATURE_PREFIX):].partition(" ")
        if _valid_name(name) and encoded:
            try:
                signature = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                signature = b""
            if len(signature) > 4:
                return name, signature
    raise SignatureError("the note has a malformed signature line")


def open_note(note: str, key: VerifierKey) -> str:
    """The text of a signed note (up to and including its last newline before the blank line)
    when ``key`` signed it; else SignatureError. Signatures of other keys are ignored; a
    signature that claims to be ``key``'s and does not verify rejects the whole note."""
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise SignatureError("the note is not valid UTF-8 text") from None
    if any(character < " " and character != "\n" for character in note):
        raise SignatureError("the note holds control characters")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 == len(note):
        raise SignatureError("the note is not text, a blank line and signature lines")
    text, lines = note[:split + 1], note[split + 2:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise SignatureError("the note has too many signatures")
    public_key = Ed25519PublicKey.from_public_bytes(key.public_key)
    verified = False
    for line in lines:
        name, signature = _signature_line(line)
        if name != key.name or signature[:4] != key.key_hash:
            continue
        try:
            public_key.verify(signature[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise SignatureError(f"the signature of {key.name} does not verify") from None
        verified = True
    if not verified:
        raise SignatureError(f"the note carries no signature of {key.name}")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """The text of a C2SP tlog-checkpoint: which log (origin), how many entries it holds, and
    the RFC 9162 root hash of the tree of those entries. Extension lines are ignored."""

    origin: str
    size: int
    root: bytes

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if lines[-1] != "" or len(lines) < 4 or "" in lines[:-1]:
            raise ProofError("the checkpoint is not three lines or more: origin, tree size and root hash")
        origin, size, root = lines[:3]
        if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size):
            raise ProofError("the checkpoint's tree size is not a whole number")
        root_hash = _b64(root, "the checkpoint's root hash")
        if len(root_hash) != HASH_SIZE:
            raise ProofError(f"the checkpoint's root hash is not {HASH_SIZE} bytes long")
        return cls(origin, int(size), root_hash)


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """The checkpoint of a signed note, if ``key`` signed it and it is of ``key``'s log."""
    checkpoint = Checkpoint.parse(open_note(note, key))
    if checkpoint.origin != key.name:
        raise ProofError(f"the checkpoint is of the log {checkpoint.origin!r}, not of {key.name!r}")
    return checkpoint


# --- the registry's leaves and receipts --------------------------------------------------------

_LEAF = re.compile(
    r"registre-opposition/audit-event/1\n"
    r"seq (?P<seq>[1-9][0-9]{0,19})\n"
    r"action (?P<action>[^\n]+)\n"
    r"time (?P<time>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z)\n"
    r"(?:receipt (?P<receipt>[^\n ]+)\n)?"
    r"event (?P<event>[0-9a-fA-F]{64})\n",
    re.ASCII,
)


@dataclass(frozen=True)
class Leaf:
    """An audit event as the log holds it: its number (``seq``, its leaf index + 1), action, UTC
    time (ISO 8601, as written), the receipt it issued if any, and the event's chain hash."""

    seq: int
    action: str
    time: str
    receipt: str | None
    event: str

    @classmethod
    def parse(cls, data: bytes) -> Leaf:
        try:
            match = _LEAF.fullmatch(data.decode("utf-8"))
        except UnicodeDecodeError:
            match = None
        if match is None or not match["action"].isprintable() or not (match["receipt"] or "").isprintable():
            raise ProofError("the log entry is not an audit event of the registry")
        return cls(int(match["seq"]), match["action"], match["time"], match["receipt"], match["event"])


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt proved: its entry in the log and the signed checkpoint that includes it.
    ``key_from_receipt``: the key was the one the receipt carries, which proves only that the
    receipt agrees with itself, not that the registry's key signed it."""

    reference: str
    index: int
    leaf: Leaf
    checkpoint: Checkpoint
    key: VerifierKey
    key_from_receipt: bool


def _field(mapping: object, name: str, kind: type):
    value = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ProofError(f"the receipt has no valid {name!r}")
    return value


def check_receipt(receipt: dict, key: VerifierKey | str | None = None) -> ReceiptCheck:
    """Every check of a downloaded receipt; the key trusted is ``key`` when given, else the
    receipt's own. Raises ProofError, saying which check failed."""
    if _field(receipt, "format", str) != RECEIPT_FORMAT:
        raise ProofError("this is not a receipt of the registry, or of a format this tool does not know")
    reference = _field(receipt, "reference", str)
    proof = _field(receipt, "transparency", dict)
    leaf_bytes = _b64(_field(proof, "leaf", str), "the log entry")
    index, size = _field(proof, "leaf_index", int), _field(proof, "tree_size", int)
    hashes = _field(proof, "inclusion_proof", list)
    if not all(isinstance(h, str) for h in hashes):
        raise ProofError("the receipt has no valid 'inclusion_proof'")
    hashes = [_b64(h, "a hash of the inclusion proof") for h in hashes]
    from_receipt = key is None
    if from_receipt:
        key = _field(proof, "key", str)
    trusted = key if isinstance(key, VerifierKey) else VerifierKey.parse(key)

    leaf = Leaf.parse(leaf_bytes)
    if leaf.receipt != reference:
        raise ProofError("the log entry is not this receipt's (it names another receipt, or none)")
    if leaf.seq != index + 1:
        raise ProofError(f"the log entry is number {leaf.seq}, so its index is {leaf.seq - 1}, not {index}")
    checkpoint = open_checkpoint(_field(proof, "checkpoint", str), trusted)
    if checkpoint.size != size:
        raise ProofError(f"the checkpoint is of {checkpoint.size} entries, the receipt says {size}")
    verify_inclusion(leaf_hash(leaf_bytes), index, size, hashes, checkpoint.root)
    return ReceiptCheck(reference, index, leaf, checkpoint, trusted, from_receipt)
