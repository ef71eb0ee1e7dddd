"""``registre_client.transparency`` (the verifier shipped to citizens and monitors) against
independent references: the signed-note vector of Go's ``golang.org/x/mod/sumdb/note`` tests, and
every RFC 9162 proof of small trees as the server's tile store gives them (two implementations
written apart: a mistake in one is caught by the other)."""

import base64

import pytest

from registre_client.transparency import (
    Checkpoint, ProofError, SignatureError, VerifierKey, leaf_hash, open_note, verify_consistency, verify_inclusion,
)
from registry import log_tree
from registry.checkpoints import NoteSigner
from registry.log_tree import TreeReader

GO_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_the_go_note_vector_opens_and_an_altered_one_does_not():
    key = VerifierKey.parse(GO_KEY)
    assert key.name == "PeterNeumann" and key.key_hash.hex() == "c74f20a3"
    assert open_note(GO_NOTE, key) == GO_TEXT
    with pytest.raises(SignatureError):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), key)
    with pytest.raises(SignatureError):
        open_note(GO_NOTE, VerifierKey.parse("EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"))
    with pytest.raises(ProofError):
        VerifierKey.parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_the_servers_signer_writes_the_go_note_byte_for_byte():
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:]
    signer = NoteSigner.from_seed("PeterNeumann", seed)
    assert signer.verifier_key == GO_KEY
    assert signer.sign(GO_TEXT) == GO_NOTE


def test_a_checkpoint_body_parses_and_a_malformed_one_is_refused():
    root = bytes(range(32))
    body = f"example.org/log\n42\n{base64.b64encode(root).decode()}\n"
    assert Checkpoint.parse(body) == Checkpoint("example.org/log", 42, root)
    for broken in ("example.org/log\n042\nAAAA\n", "example.org/log\nx\n\n", "example.org/log\n1\n"):
        with pytest.raises(ProofError):
            Checkpoint.parse(broken)


@pytest.mark.db
def test_every_proof_of_the_servers_tiles_verifies_here_and_none_tampered(session):
    leaves = [f"leaf {i}".encode() for i in range(40)]
    for index, leaf in enumerate(leaves):
        log_tree.append(session, index, leaf)
    reader = TreeReader(session)
    roots = {size: reader.root(size) for size in range(1, 41)}
    for size in range(1, 41):
        for index in range(size):
            proof = reader.inclusion_proof(index, size)
            verify_inclusion(leaf_hash(leaves[index]), index, size, proof, roots[size])
            if proof:
                with pytest.raises(ProofError):
                    verify_inclusion(leaf_hash(leaves[index]), index, size, [bytes(32)] + proof[1:], roots[size])
                with pytest.raises(ProofError):
                    verify_inclusion(leaf_hash(leaves[index]), index, size, proof[:-1], roots[size])
            with pytest.raises(ProofError):
                verify_inclusion(leaf_hash(leaves[index]), (index + 1) % size if size > 1 else 1, size, proof,
                                 roots[size])
        for first in range(1, size + 1):
            proof = reader.consistency_proof(first, size)
            verify_consistency(first, size, proof, roots[first], roots[size])
            if first < size:
                with pytest.raises(ProofError):
                    verify_consistency(first, size, proof, roots[first], roots[first])
                with pytest.raises(ProofError):
                    verify_consistency(first, size, [bytes(32)] + proof[1:], roots[first], roots[size])
    with pytest.raises(ProofError):
        verify_consistency(5, 5, [], roots[5], roots[6])  # two roots for one size: a fork
