"""The transparency log's part of the OpenAPI document (merged into it at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from portal.api.openapi import UNAVAILABLE, _json, _problem

_LIMITED = {"429": {**_problem("Too many reads from this address (`rate_limited`); wait for `Retry-After` seconds."),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}
_COUNT = {"type": "string", "pattern": "^[0-9]{1,12}$"}
_HASHES = {"type": "array", "items": {"type": "string", "contentEncoding": "base64",
                                      "description": "A 32-byte SHA-256 node hash (RFC 9162)."}}


def _text(description: str) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": True, "schema": _COUNT, "description": description}


_PROOF_ERRORS = {
    "422": _problem("A missing or malformed number (`invalid_request`), numbers out of order, or a size "
                    "beyond the log (`beyond_tree`)."),
    **_LIMITED, **UNAVAILABLE,
}

PATHS = {
    "/api/v1/transparency/key": {"get": {
        "summary": "The verifier key of the log's checkpoints (C2SP signed-note, Ed25519)",
        "description": "`<name>+<hex key hash>+<base64(0x01 || public key)>`, one line. No token.",
        "operationId": "logKey", "security": [{}],
        "responses": {"200": _text("The verifier key."), **_LIMITED},
    }},
    "/api/v1/transparency/checkpoint": {"get": {
        "summary": "The latest signed checkpoint of the log (C2SP tlog-checkpoint in a signed note)",
        "description": ("Three lines (origin, tree size, base64 root hash), a blank line and the signature "
                        "line. Signed on demand, at most once per short interval. No token."),
        "operationId": "logCheckpoint", "security": [{}],
        "responses": {"200": _text("The signed checkpoint."), **_LIMITED, **UNAVAILABLE},
    }},
    "/api/v1/transparency/proof/inclusion": {"get": {
        "summary": "The inclusion proof of a leaf in the tree of a given size (RFC 9162, 2.1.3)",
        "operationId": "logInclusionProof", "security": [{}],
        "parameters": [_parameter("index", "The leaf's index, from 0 (an event's `seq` minus 1)."),
                       _parameter("size", "The tree size, greater than `index`, at most the log's.")],
        "responses": {"200": _json("The proof's hashes, from the leaf up.", "InclusionProof"), **_PROOF_ERRORS},
    }},
    "/api/v1/transparency/proof/consistency": {"get": {
        "summary": "The consistency proof between two tree sizes (RFC 9162, 2.1.4)",
        "operationId": "logConsistencyProof", "security": [{}],
        "parameters": [_parameter("first", "The earlier size, at least 1."),
                       _parameter("second", "The later size, at least `first`, at most the log's.")],
        "responses": {"200": _json("The proof's hashes.", "ConsistencyProof"), **_PROOF_ERRORS},
    }},
}

SCHEMAS = {
    "InclusionProof": {"type": "object", "required": ["leaf_index", "tree_size", "hashes"],
                       "properties": {"leaf_index": {"type": "integer"}, "tree_size": {"type": "integer"},
                                      "hashes": _HASHES}},
    "ConsistencyProof": {"type": "object", "required": ["first", "second", "hashes"],
                         "properties": {"first": {"type": "integer"}, "second": {"type": "integer"},
                                        "hashes": _HASHES}},
}


def add_transparency_log(document: dict) -> dict:
    document["paths"].update(PATHS)
    document["components"]["schemas"].update(SCHEMAS)
    return document
