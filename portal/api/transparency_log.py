"""The public transparency log: its key, its latest signed checkpoint and proofs, with no token.

Only hashes leave here, never a leaf's content. Reading the log writes no audit event (it would
grow the log it reads); each address is limited to ``LOG_RATE_LIMIT`` reads.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from registry.log_tree import TreeReader, tree_size

from portal.api import bp
from portal.api.problems import ApiProblem
from portal.database import db
from portal.keys import log_signer
from portal.log_proofs import b64, checkpoint
from portal.security import client_key, limiter

MAX_PARAMETER_DIGITS = 12


def log_rate_limit() -> str:
    return current_app.config["LOG_RATE_LIMIT"]


def _limited(view):
    return limiter.limit(log_rate_limit, key_func=client_key, scope="transparency-log")(view)


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _count(name: str) -> int:
    value = request.args.get(name)
    if value is None:
        raise ApiProblem(422, "invalid_request", f"The query parameter `{name}` is required.", parameter=name)
    if not value.isascii() or not value.isdigit() or len(value) > MAX_PARAMETER_DIGITS:
        raise ApiProblem(422, "invalid_request", f"`{name}` must be a whole number.", parameter=name)
    return int(value)


def _within_tree(size: int, name: str) -> None:
    current = tree_size(db.session())
    if size > current:
        raise ApiProblem(422, "beyond_tree", f"`{name}` is larger than the log ({current} entries).", parameter=name)


@bp.get("/transparency/key")
@_limited
def log_key():
    """The note verifier key of the log's checkpoints."""
    return _text(log_signer().verifier_key + "\n")


@bp.get("/transparency/checkpoint")
@_limited
def log_checkpoint():
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
    return _text(checkpoint().note)


@bp.get("/transparency/proof/inclusion")
@_limited
def inclusion_proof():
    index, size = _count("index"), _count("size")
    if index >= size:
        raise ApiProblem(422, "invalid_request", "`index` must be smaller than `size`.", parameter="index")
    _within_tree(size, "size")
    hashes = TreeReader(db.session()).inclusion_proof(index, size)
    return jsonify({"leaf_index": index, "tree_size": size, "hashes": [b64(h) for h in hashes]})


@bp.get("/transparency/proof/consistency")
@_limited
def consistency_proof():
    first, second = _count("first"), _count("second")
    if not 0 < first <= second:
        raise ApiProblem(422, "invalid_request", "It needs 0 < `first` <= `second`.", parameter="first")
    _within_tree(second, "second")
    hashes = TreeReader(db.session()).consistency_proof(first, second)
    return jsonify({"first": first, "second": second, "hashes": [b64(h) for h in hashes]})
