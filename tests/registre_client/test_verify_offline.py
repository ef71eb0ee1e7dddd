"""``registre-verify`` and ``registre_client.transparency`` (the verifier shipped to citizens and
monitors) against references written apart from them: Merkle trees and proofs built by pymerkle,
the signed-note vectors of Go's ``golang.org/x/mod/sumdb/note`` tests, notes signed here with
``cryptography``, and a small HTTP server standing for the registry's public log. No database."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymerkle import InmemoryTree

from registre_client.transparency import (
    Checkpoint, Leaf, ProofError, SignatureError, VerifierKey, check_receipt, leaf_hash, open_checkpoint, open_note,
    verify_consistency, verify_inclusion,
)
from registre_client.verify_cli import main as registre_verify


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def flipped(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


def refused(check, *args) -> bool:
    try:
        check(*args)
    except ProofError:
        return True
    return False


# --- pymerkle, the independent Merkle tree -----------------------------------------------------

def tree_of(leaves: list[bytes]) -> InmemoryTree:
    return InmemoryTree.init_from_entries(leaves)  # sha256, second-preimage prefixes on (RFC 9162)


def inclusion_proof(tree: InmemoryTree, index: int, size: int) -> list[bytes]:
    """RFC 9162's inclusion proof: pymerkle's path without its first hash (the leaf's own)."""
    return tree.prove_inclusion(index + 1, size).path[1:]


def consistency_proof(tree: InmemoryTree, first: int, second: int) -> list[bytes]:
    """RFC 9162's consistency proof, from pymerkle's. Both walk down from the new root; RFC 9162
    stops at the old tree's last node (``subset`` 1) and gives the part of the new tree beside it
    as one subtree hash, where pymerkle walks on down to one of its leaves and lists the hashes on
    the way (``subset`` 0): folded with pymerkle's own rule and hash, they are that subtree hash.
    RFC 9162 also leaves out the old tree's node when it is the whole old tree (no ``subset`` 1
    above it): the verifier has that root already."""
    if first == second:
        return []
    proof = tree.prove_consistency(first, second)
    last_old = proof.subset.index(1)
    beside = proof.path[0]
    for bit, digest in zip(proof.rule, proof.path[1:last_old]):
        beside = proof.hasher.hash_pair(beside, digest) if bit == 0 else proof.hasher.hash_pair(digest, beside)
    upper = proof.path[last_old + 1:]
    whole_old_tree = not any(proof.subset[last_old + 1:])
    return ([] if whole_old_tree else [proof.path[last_old]]) + [beside] + upper


LEAVES = [f"leaf {i}".encode() for i in range(40)]


@pytest.fixture(scope="module")
def tree():
    return tree_of(LEAVES)


def test_pymerkle_hashes_as_rfc_9162_says_checked_by_hand():
    a, b, c = sha256(b"\x00a"), sha256(b"\x00b"), sha256(b"\x00c")
    three = tree_of([b"a", b"b", b"c"])
    assert three.get_root(1) == a == leaf_hash(b"a")
    assert three.get_root(2) == sha256(b"\x01" + a + b)
    assert three.get_root(3) == sha256(b"\x01" + sha256(b"\x01" + a + b) + c)


def test_every_inclusion_proof_up_to_40_leaves_verifies_and_no_tampered_one(tree):
    roots = {size: tree.get_root(size) for size in range(1, 41)}
    missed = []
    for size in range(1, 41):
        for index in range(size):
            proof, digest = inclusion_proof(tree, index, size), leaf_hash(LEAVES[index])
            assert tree.prove_inclusion(index + 1, size).verify(digest, roots[size]) is None  # pymerkle agrees
            verify_inclusion(digest, index, size, proof, roots[size])
            tampered = [("hash changed", digest, index, size, proof[:i] + [flipped(p)] + proof[i + 1:], roots[size])
                        for i, p in enumerate(proof)]
            tampered += [("last hash dropped", digest, index, size, proof[:-1], roots[size]),
                         ("first hash dropped", digest, index, size, proof[1:], roots[size]),
                         ("hash added", digest, index, size, [*proof, bytes(32)], roots[size]),
                         ("another leaf", leaf_hash(b"another leaf"), index, size, proof, roots[size]),
                         ("another root", digest, index, size, proof, flipped(roots[size])),
                         ("short hash", digest, index, size, [p[:31] for p in proof], roots[size])] if proof else []
            tampered += [("index + 1", digest, index + 1, size, proof, roots[size])] if index + 1 < size else []
            tampered += [("index - 1", digest, index - 1, size, proof, roots[size])] if index > 0 else []
            tampered += [("size + 1", digest, index, size + 1, proof, roots[size + 1])] if size < 40 else []
            tampered += [("size - 1", digest, index, size - 1, proof, roots[size - 1])] if index < size - 1 else []
            missed += [(case, index, size) for case, *args in tampered if not refused(verify_inclusion, *args)]
    assert missed == []


def test_every_consistency_proof_up_to_40_leaves_verifies_and_no_tampered_one(tree):
    roots = {size: tree.get_root(size) for size in range(1, 41)}
    missed = []
    for second in range(1, 41):
        for first in range(1, second + 1):
            proof, old, new = consistency_proof(tree, first, second), roots[first], roots[second]
            if first < second:
                assert tree.prove_consistency(first, second).verify(old, new) is None  # pymerkle agrees
            verify_consistency(first, second, proof, old, new)
            tampered = [("hash changed", first, second, proof[:i] + [flipped(p)] + proof[i + 1:], old, new)
                        for i, p in enumerate(proof)]
            tampered += [("hash added", first, second, [*proof, bytes(32)], old, new),
                         ("old root changed", first, second, proof, flipped(old), new),
                         ("new root changed", first, second, proof, old, flipped(new))]
            tampered += [("last hash dropped", first, second, proof[:-1], old, new),
                         ("first hash dropped", first, second, proof[1:], old, new),
                         ("roots swapped", first, second, proof, new, old)] if first < second else []
            tampered += [("first + 1", first + 1, second, proof, roots[first + 1], new)] if first < second else []
            tampered += [("first - 1", first - 1, second, proof, roots[first - 1], new)] if first > 1 else []
            tampered += [("second + 1", first, second + 1, proof, old, roots[second + 1])] if second < 40 else []
            tampered += [("second - 1", first, second - 1, proof, old, roots[second - 1])] if first < second else []
            missed += [(case, first, second) for case, *args in tampered if not refused(verify_consistency, *args)]
    assert missed == []


def test_impossible_sizes_are_refused_before_any_hash():
    root = sha256(b"root")
    for index, size in [(0, 0), (1, 1), (5, 3), (-1, 3)]:
        with pytest.raises(ProofError, match="no entry"):
            verify_inclusion(leaf_hash(b"x"), index, size, [], root)
    with pytest.raises(ProofError, match="empty log"):
        verify_consistency(0, 3, [root], root, root)
    with pytest.raises(ProofError, match="cannot extend"):
        verify_consistency(4, 3, [root], root, root)
    with pytest.raises(ProofError, match="two different root hashes"):
        verify_consistency(5, 5, [], root, sha256(b"another root"))
    with pytest.raises(ProofError, match="not empty"):
        verify_consistency(5, 5, [root], root, root)
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(4, 5, [], root, root)
    verify_consistency(5, 5, [], root, root)


def test_a_proof_of_the_wrong_length_says_so(tree):
    proof = consistency_proof(tree, 5, 23)
    with pytest.raises(ProofError, match="fewer hashes"):
        verify_consistency(5, 23, proof[:-1], tree.get_root(5), tree.get_root(23))
    with pytest.raises(ProofError, match="more hashes"):
        verify_consistency(5, 23, [*proof, proof[-1]], tree.get_root(5), tree.get_root(23))
    proof = inclusion_proof(tree, 5, 23)
    with pytest.raises(ProofError, match="fewer hashes"):
        verify_inclusion(leaf_hash(LEAVES[5]), 5, 23, proof[:-1], tree.get_root(23))
    with pytest.raises(ProofError, match="more hashes"):
        verify_inclusion(leaf_hash(LEAVES[5]), 5, 23, [*proof, proof[-1]], tree.get_root(23))


# --- signed notes: Go's vectors (golang.org/x/mod/sumdb/note, note_test.go) --------------------

GO_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_ENOCH_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_PETER_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
                "KE6RyyBwJnAM=\n")
GO_ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1"
                "RvMc+QQ=\n")


def test_the_go_verifier_key_parses_with_its_key_hash():
    key = VerifierKey.parse(GO_KEY)
    assert key.name == "PeterNeumann" and key.key_hash.hex() == "c74f20a3" and len(key.public_key) == 32
    assert sha256(b"PeterNeumann\n\x01" + key.public_key)[:4].hex() == "c74f20a3"
    assert str(key) == GO_KEY
    assert VerifierKey.parse(GO_KEY + "\n") == key  # as a file or the API gives it


def test_every_mangled_go_verifier_key_is_refused():
    mangled = [GO_KEY[i:j] for i in range(len(GO_KEY)) for j in range(i + 1, len(GO_KEY) + 1)
               if (i, j) != (0, len(GO_KEY))]
    mangled += [GO_KEY[:i] + chr(ord(GO_KEY[i]) + 1) + GO_KEY[i + 1:] for i in range(len(GO_KEY))]
    mangled += ["PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"]  # unknown algorithm
    assert [key for key in mangled if not refused(VerifierKey.parse, key)] == []


def test_the_go_notes_open_with_their_keys_and_ignore_unknown_signatures():
    peter, enoch = VerifierKey.parse(GO_KEY), VerifierKey.parse(GO_ENOCH_KEY)
    assert open_note(GO_TEXT + "\n" + GO_PETER_SIG, peter) == GO_TEXT
    assert open_note(GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG, peter) == GO_TEXT
    assert open_note(GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG, enoch) == GO_TEXT
    broken_enoch = GO_ENOCH_SIG[:60] + "ABCD" + GO_ENOCH_SIG[60:]  # another key's bad signature: ignored
    assert open_note(GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG + broken_enoch, peter) == GO_TEXT


def test_the_go_notes_are_refused_altered_unsigned_or_malformed():
    peter, enoch = VerifierKey.parse(GO_KEY), VerifierKey.parse(GO_ENOCH_KEY)
    refused_notes = [
        (GO_TEXT.replace("cryptography", "cryptographY") + "\n" + GO_PETER_SIG, peter),
        (GO_TEXT + "\n" + GO_PETER_SIG[:60] + "ABCD" + GO_PETER_SIG[60:], peter),  # invalid signature
        (GO_TEXT + "\n" + GO_PETER_SIG, enoch),  # no signature of that key
        (GO_TEXT + "\n" + GO_PETER_SIG * 101, peter),  # too many signatures
        (GO_TEXT, peter),
        (GO_TEXT + "\n", peter),
        (GO_TEXT + "\n" + GO_PETER_SIG[:-1], peter),
        ("\x01" + GO_TEXT + "\n" + GO_PETER_SIG, peter),
        ("\ud800" + GO_TEXT + "\n" + GO_PETER_SIG, peter),  # not UTF-8 (Go's test: a \xff byte)
        (GO_TEXT + "\n" + "\u2014 Bad Name " + GO_PETER_SIG.split(" ")[2], peter),
        (GO_TEXT + "\n" + GO_PETER_SIG + "Unexpected line.\n", peter),
    ]
    assert [i for i, (note, key) in enumerate(refused_notes) if not refused(open_note, note, key)] == []
    with pytest.raises(SignatureError):
        open_note(GO_TEXT + "\n" + GO_PETER_SIG, enoch)


# --- signed notes and checkpoints signed here --------------------------------------------------

class LogSigner:
    """A log's Ed25519 key, signing notes as c2sp.org/signed-note says, with ``cryptography``."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.private = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        public = b"\x01" + self.private.public_key().public_bytes_raw()
        self.key_hash = sha256(name.encode() + b"\n" + public)[:4]
        self.verifier_key = f"{name}+{self.key_hash.hex()}+{b64(public)}"

    def signature_line(self, text: str) -> str:
        return f"\u2014 {self.name} {b64(self.key_hash + self.private.sign(text.encode()))}\n"

    def sign(self, text: str) -> str:
        return text + "\n" + self.signature_line(text)

    def checkpoint(self, tree: InmemoryTree) -> str:
        return self.sign(f"{self.name}\n{tree.get_size()}\n{b64(tree.get_root())}\n")


LOG = LogSigner("registre.example/log", seed=1)
FORGER = LogSigner("registre.example/log", seed=2)  # the same name, another key


def test_a_note_signed_here_opens_and_is_refused_once_altered():
    key, text = VerifierKey.parse(LOG.verifier_key), "first line\n\nafter an empty line\n"
    note = LOG.sign(text)
    assert open_note(note, key) == text  # the text ends at the last blank line
    assert open_note(text + "\n" + FORGER.signature_line(text) + LOG.signature_line(text), key) == text
    encoded = base64.b64decode(LOG.signature_line(text).split(" ")[2])
    altered = {
        "text": note.replace("first", "First"),
        "signature": f"{text}\n\u2014 {LOG.name} {b64(encoded[:-1] + bytes([encoded[-1] ^ 1]))}\n",
        "key hash": f"{text}\n\u2014 {LOG.name} {b64(bytes(4) + encoded[4:])}\n",
        "another key": FORGER.sign(text),
        "control character": LOG.sign("first line\r\n"),
    }
    assert [case for case, note in altered.items() if not refused(open_note, note, key)] == []


def test_a_checkpoint_parses_ignoring_extension_lines_and_a_malformed_one_is_refused():
    root = b64(bytes(range(32)))
    assert Checkpoint.parse(f"example.org/log\n42\n{root}\n") == Checkpoint("example.org/log", 42, bytes(range(32)))
    assert Checkpoint.parse(f"example.org/log\n0\n{root}\nextension\n").size == 0
    malformed = [f"example.org/log\n042\n{root}\n", f"example.org/log\n\u0664\u0662\n{root}\n",
                 f"example.org/log\n-1\n{root}\n", f"example.org/log\n42\n{root}", f"\n42\n{root}\n",
                 f"example.org/log\n42\n{root.rstrip('=')}\n", f"example.org/log\n42\n{b64(bytes(31))}\n",
                 f"example.org/log\n42\n{root}\n\nextension\n", "example.org/log\n42\n"]
    assert [text for text in malformed if not refused(Checkpoint.parse, text)] == []


def test_a_checkpoint_of_another_log_is_refused_even_well_signed():
    other = LogSigner("other.example/log", seed=3)
    note = other.sign(f"registre.example/log\n1\n{b64(bytes(32))}\n")
    with pytest.raises(ProofError, match="of the log"):
        open_checkpoint(note, VerifierKey.parse(other.verifier_key))


# --- leaves and receipts -----------------------------------------------------------------------

REFERENCE = "RNO-ABCD-EFGH-JKMN-PQRS"


def audit_leaf(seq: int, receipt: str | None = None, action: str = "opposition.filed") -> bytes:
    lines = ["registre-opposition/audit-event/1", f"seq {seq}", f"action {action}",
             "time 2026-12-05T05:00:00.123456Z", *([f"receipt {receipt}"] if receipt else []),
             f"event {sha256(str(seq).encode()).hex()}"]
    return ("\n".join(lines) + "\n").encode()


def test_a_leaf_parses_with_or_without_a_receipt_and_a_malformed_one_is_refused():
    leaf = Leaf.parse(audit_leaf(42, REFERENCE))
    assert (leaf.seq, leaf.action, leaf.time, leaf.receipt) == (42, "opposition.filed", "2026-12-05T05:00:00.123456Z",
                                                                REFERENCE)
    assert leaf.event == sha256(b"42").hex()
    assert Leaf.parse(audit_leaf(1)).receipt is None
    good = audit_leaf(42, REFERENCE)
    malformed = [
        good.replace(b"/1\n", b"/2\n"), good.replace(b"seq 42", b"seq 042"), good.replace(b"seq 42", b"seq 0"),
        good.replace(b"seq 42", b"seq \xd9\xa4"), good.replace(b"receipt", b"receipt X\nreceipt"),
        good.replace(b"action", b"action x\naction"), good.replace(b"Z\n", b"+01:00\n"), good[:-1], good + b"more\n",
        good.replace(b"event ", b"event 0"), audit_leaf(1, action="a\x1b[2J"), good.replace(b"\n", b"\r\n"), b"\xff",
        b"\n".join(reversed(good.split(b"\n"))),
    ]
    assert [i for i, data in enumerate(malformed) if not refused(Leaf.parse, data)] == []


def build_receipt(signer: LogSigner = LOG, index: int = 41, size: int = 57) -> dict:
    """A receipt as the portal gives it (``recepisse-<reference>.json``), from a tree of
    ``size`` audit events whose event ``index`` issued it."""
    leaves = [audit_leaf(i + 1, REFERENCE if i == index else None) for i in range(size)]
    tree = tree_of(leaves)
    return {"format": "registre-opposition-receipt/1", "reference": REFERENCE, "issued_at": "2026-12-05T05:00:00Z",
            "transparency": {"key": signer.verifier_key, "leaf": b64(leaves[index]), "leaf_index": index,
                             "tree_size": size, "checkpoint": signer.checkpoint(tree),
                             "inclusion_proof": [b64(h) for h in inclusion_proof(tree, index, size)]}}


def test_a_receipt_checks_against_the_logs_key_or_only_against_itself():
    check = check_receipt(build_receipt(), LOG.verifier_key)
    assert (check.reference, check.index, check.checkpoint.size, check.leaf.seq) == (REFERENCE, 41, 57, 42)
    assert check.checkpoint.origin == "registre.example/log" and not check.key_from_receipt
    assert check_receipt(build_receipt(), VerifierKey.parse(LOG.verifier_key)) == check
    assert check_receipt(build_receipt(signer=FORGER)).key_from_receipt


def test_receipts_at_every_place_of_a_small_log_verify():
    for size in range(1, 9):
        for index in range(size):
            assert check_receipt(build_receipt(index=index, size=size), LOG.verifier_key).index == index


def write(tmp_path, receipt) -> str:
    path = tmp_path / "recepisse.json"
    path.write_text(json.dumps(receipt) if isinstance(receipt, dict) else receipt)
    return str(path)


def test_registre_verify_says_ok_for_a_good_receipt_with_the_key_given_or_in_a_file(tmp_path, capsys):
    path = write(tmp_path, build_receipt())
    (tmp_path / "log.key").write_text(LOG.verifier_key + "\n")
    for key in (LOG.verifier_key, str(tmp_path / "log.key")):
        assert registre_verify([path, "--key", key]) == 0
        captured = capsys.readouterr()
        assert captured.out == f"OK: receipt {REFERENCE} is entry 41 of registre.example/log, tree size 57\n"
        assert captured.err == ""


def test_without_a_key_registre_verify_warns_that_only_the_receipt_itself_was_checked(tmp_path, capsys):
    assert registre_verify([write(tmp_path, build_receipt(signer=FORGER))]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK: receipt ") and "agrees with itself" in captured.err


def receipt_with(**changes) -> dict:
    """A good receipt, some of its transparency fields replaced."""
    receipt = build_receipt()
    receipt["transparency"].update(changes)
    return receipt


def tampered_receipts() -> dict[str, tuple[dict, str]]:
    """Each tampering, and what the refusal says."""
    good = build_receipt()
    proof = good["transparency"]["inclusion_proof"]
    changed = [*proof[:2], b64(flipped(base64.b64decode(proof[2]))), *proof[3:]]
    root_missed = "does not lead to the checkpoint's root"
    return {
        "another reference in the leaf": (receipt_with(leaf=b64(audit_leaf(42, "RNO-ZZZZ-ZZZZ-ZZZZ-ZZZZ"))),
                                          "names another receipt"),
        "another reference in the receipt": ({**good, "reference": "RNO-ZZZZ-ZZZZ-ZZZZ-ZZZZ"}, "names another receipt"),
        "a proof hash changed": (receipt_with(inclusion_proof=changed), root_missed),
        "a proof hash dropped": (receipt_with(inclusion_proof=proof[:-1]), "fewer hashes"),
        "signed by another key": (build_receipt(signer=FORGER), "no signature of registre.example/log"),
        "leaf index + 1": (receipt_with(leaf_index=42), "number 42"),
        "leaf index - 1": (receipt_with(leaf_index=40), "number 42"),
        "leaf index and seq moved together": (receipt_with(leaf_index=40, leaf=b64(audit_leaf(41, REFERENCE))),
                                              root_missed),
        "tree size changed": (receipt_with(tree_size=58), "the receipt says 58"),
        "leaf index as text": (receipt_with(leaf_index="41"), "'leaf_index'"),
        "checkpoint altered": (receipt_with(checkpoint=good["transparency"]["checkpoint"].replace("\n57\n", "\n58\n")),
                               "does not verify"),
        "unknown format": ({**good, "format": "registre-opposition-receipt/2"}, "format"),
        "no proof": ({name: value for name, value in good.items() if name != "transparency"}, "'transparency'"),
    }


TAMPERED_RECEIPTS = tampered_receipts()


@pytest.mark.parametrize("case", TAMPERED_RECEIPTS)
def test_registre_verify_refuses_a_tampered_receipt_in_one_line(tmp_path, capsys, case):
    receipt, reason = TAMPERED_RECEIPTS[case]
    assert registre_verify([write(tmp_path, receipt), "--key", LOG.verifier_key]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("INVALID: ") and captured.err.count("\n") == 1
    assert reason in captured.err


def test_registre_verify_usage_and_unreadable_files_exit_2(tmp_path, capsys):
    good = write(tmp_path, build_receipt())
    assert registre_verify([str(tmp_path / "missing.json"), "--key", LOG.verifier_key]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert registre_verify([write(tmp_path, "{not json"), "--key", LOG.verifier_key]) == 2
    assert "not JSON" in capsys.readouterr().err
    assert registre_verify([good, "--key", "not-a-key"]) == 2
    assert "--key" in capsys.readouterr().err
    assert registre_verify([]) == 2
    assert registre_verify(["--help"]) == 0
    assert "registre-verify monitor URL" in capsys.readouterr().out


# --- the monitor, against a registry served over HTTP here -------------------------------------

API = "/api/v1/transparency"


class FakeRegistry:
    """What a registry's public log serves, from a list of leaves the test changes at will
    (grown, cut, rewritten), signed by ``signer``; ``served_key`` is the key it says it uses."""

    def __init__(self) -> None:
        self.leaves = [audit_leaf(i + 1) for i in range(10)]
        self.signer, self.served_key = LOG, LOG.verifier_key
        self.failing: str | None = None  # a path answered with a problem
        self.url = ""

    def answer(self, path: str, query: dict) -> tuple[int, str, str]:
        tree = tree_of(self.leaves)
        if path == self.failing:
            return 503, "application/problem+json", json.dumps({"title": "Service Unavailable", "detail": "Come back."})
        if path == API + "/key":
            return 200, "text/plain; charset=utf-8", self.served_key + "\n"
        if path == API + "/checkpoint":
            return 200, "text/plain", self.signer.checkpoint(tree)  # no charset: the client must read UTF-8
        if path == API + "/proof/consistency":
            first, second = int(query["first"][0]), int(query["second"][0])
            if 0 < first <= second <= len(self.leaves):
                hashes = [b64(h) for h in consistency_proof(tree, first, second)]
                return 200, "application/json", json.dumps({"first": first, "second": second, "hashes": hashes})
            return 422, "application/problem+json", json.dumps({"title": "Unprocessable", "detail": "Beyond the log."})
        return 404, "application/problem+json", json.dumps({"title": "Not Found"})


class RegistryHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        status, content_type, body = self.server.registry.answer(url.path, parse_qs(url.query))
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture
def registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RegistryHandler)
    server.registry = FakeRegistry()
    server.registry.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.registry
    server.shutdown()
    server.server_close()
    thread.join()


def run_monitor(registry, state, capsys, *options) -> tuple[int, str]:
    code = registre_verify(["monitor", registry.url, "--state", str(state), *options])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def watched(registry, tmp_path, capsys):
    """The registry of 10 entries, its first checkpoint saved by the monitor."""
    state = tmp_path / "state.json"
    code, output = run_monitor(registry, state, capsys)
    assert (code, output) == (0, "OK: first checkpoint of registre.example/log saved, 10 entries\n")
    return registry, state


def test_the_monitor_follows_a_growing_log(watched, capsys):
    registry, state = watched
    registry.leaves += [audit_leaf(i + 1) for i in range(10, 25)]
    grew = "OK: registre.example/log grew from 10 to 25 entries, consistent\n"
    assert run_monitor(registry, state, capsys) == (0, grew)
    assert run_monitor(registry, state, capsys) == (0, "OK: registre.example/log unchanged, 25 entries\n")
    saved = json.loads(state.read_text())
    assert saved["key"] == LOG.verifier_key and "\n25\n" in saved["checkpoint"]


def test_the_monitor_proves_growth_from_a_power_of_two(watched, capsys):
    registry, state = watched
    registry.leaves = registry.leaves[:8]
    state.unlink()
    assert run_monitor(registry, state, capsys)[0] == 0
    registry.leaves += [audit_leaf(i + 1) for i in range(8, 13)]
    grew = "OK: registre.example/log grew from 8 to 13 entries, consistent\n"
    assert run_monitor(registry, state, capsys) == (0, grew)


def alarms():
    def shrink(registry):
        registry.leaves = registry.leaves[:7]

    def fork(registry):
        registry.leaves[9] = audit_leaf(10, action="opposition.withdrawn")

    def rewrite(registry):
        registry.leaves[2] = audit_leaf(3, action="opposition.withdrawn")
        registry.leaves += [audit_leaf(i + 1) for i in range(10, 30)]

    def rewrite_the_last(registry):
        registry.leaves[9] = audit_leaf(10, action="opposition.withdrawn")
        registry.leaves.append(audit_leaf(11))

    def change_key(registry):
        registry.signer, registry.served_key = FORGER, FORGER.verifier_key

    def sign_with_another_key(registry):
        registry.signer = FORGER

    return {
        "shrunk": (shrink, "TRUNCATED: the log shrank from 10 to 7 entries"),
        "forked": (fork, "FORK: two different checkpoints for size 10"),
        "rewritten": (rewrite, "REWRITTEN: the log at size 30 does not extend the one seen at size 10"),
        "last entry rewritten": (rewrite_the_last,
                                 "REWRITTEN: the log at size 11 does not extend the one seen at size 10"),
        "key changed": (change_key, "KEY CHANGED: the server gives the key " + FORGER.verifier_key),
        "signed by another key": (sign_with_another_key, "BAD CHECKPOINT: the latest checkpoint does not verify"),
    }


@pytest.mark.parametrize("case", list(alarms()))
def test_the_monitor_raises_the_alarm_and_keeps_its_state(watched, capsys, case):
    registry, state = watched
    change, alarm = alarms()[case]
    saved = state.read_bytes()
    change(registry)
    code, output = run_monitor(registry, state, capsys)
    assert code == 1 and output.startswith(alarm) and output.count("\n") == 1, output
    assert state.read_bytes() == saved
    assert run_monitor(registry, state, capsys)[0] == 1  # and again on the next run


def test_the_monitor_trusts_the_key_given_over_the_servers(registry, tmp_path, capsys):
    state = tmp_path / "state.json"
    (tmp_path / "log.key").write_text(LOG.verifier_key)
    assert run_monitor(registry, state, capsys, "--key", str(tmp_path / "log.key"))[0] == 0
    registry.signer, registry.served_key = FORGER, FORGER.verifier_key
    fresh = tmp_path / "fresh.json"
    code, output = run_monitor(registry, fresh, capsys, "--key", LOG.verifier_key)
    assert code == 1 and output.startswith("KEY CHANGED") and not fresh.exists()


def test_the_monitor_accepts_a_new_key_given_and_still_proves_the_log_extends(watched, capsys):
    registry, state = watched
    registry.signer, registry.served_key = FORGER, FORGER.verifier_key  # a key rotation, announced
    registry.leaves.append(audit_leaf(11))
    code, output = run_monitor(registry, state, capsys, "--key", FORGER.verifier_key)
    assert (code, output) == (0, "OK: registre.example/log grew from 10 to 11 entries, consistent\n")
    assert json.loads(state.read_text())["key"] == FORGER.verifier_key


def test_the_monitor_exits_2_without_touching_its_state_when_the_server_cannot_answer(watched, capsys):
    registry, state = watched
    saved = state.read_bytes()
    registry.failing = API + "/proof/consistency"
    registry.leaves.append(audit_leaf(11))
    code, output = run_monitor(registry, state, capsys)
    assert code == 2 and "503: Service Unavailable: Come back." in output and output.count("\n") == 1
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        registry.url = f"http://127.0.0.1:{free.getsockname()[1]}"  # nothing listens there
    code, output = run_monitor(registry, state, capsys)
    assert code == 2 and output.startswith("error: cannot reach http://127.0.0.1:")
    assert state.read_bytes() == saved


def test_the_monitor_usage_and_state_file_errors_exit_2(registry, tmp_path, capsys):
    state = tmp_path / "state.json"
    assert registre_verify(["monitor", registry.url]) == 2  # no --state
    assert registre_verify(["monitor", "registre.example", "--state", str(state)]) == 2
    assert "give the registry's address" in capsys.readouterr().err
    state.write_text('{"key": "damaged"}')
    damaged = (f"error: the state file {state} is damaged (it does not hold a checkpoint saved by registre-verify); "
               "restore it, or give a new file to start again\n")
    assert run_monitor(registry, state, capsys) == (2, damaged)
    assert run_monitor(registry, tmp_path / "missing" / "state.json", capsys)[0] == 2
    other = LogSigner("other.example/log", seed=3)
    registry.signer, registry.served_key = other, other.verifier_key
    assert run_monitor(registry, tmp_path / "other.json", capsys)[0] == 0
    registry.signer, registry.served_key = LOG, LOG.verifier_key
    code, output = run_monitor(registry, tmp_path / "other.json", capsys, "--key", LOG.verifier_key)
    assert code == 2 and "follows the log other.example/log, not registre.example/log" in output


# --- the server's own code against the same references -----------------------------------------
# Kept from the first version of this file: they check the registry (not this client) and the last
# one needs a database; their place is tests/registry.

GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"


def test_the_servers_signer_writes_the_go_note_byte_for_byte():
    from registry.checkpoints import NoteSigner

    signer = NoteSigner.from_seed("PeterNeumann", base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:])
    assert signer.verifier_key == GO_KEY
    assert signer.sign(GO_TEXT) == GO_TEXT + "\n" + GO_PETER_SIG


@pytest.mark.db
def test_every_proof_of_the_servers_tiles_verifies_here(session, tree):
    from registry import log_tree

    for index, leaf in enumerate(LEAVES):
        log_tree.append(session, index, leaf)
    reader = log_tree.TreeReader(session)
    for size in range(1, 41):
        assert reader.root(size) == tree.get_root(size)
        for index in range(size):
            verify_inclusion(leaf_hash(LEAVES[index]), index, size, reader.inclusion_proof(index, size),
                             tree.get_root(size))
        for first in range(1, size + 1):
            verify_consistency(first, size, reader.consistency_proof(first, size), tree.get_root(first),
                               tree.get_root(size))
