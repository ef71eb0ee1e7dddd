"""``registre-verify``: check a receipt offline, or watch the registry's public log.

    registre-verify receipt.json [--key KEY]
    registre-verify monitor URL --state FILE [--key KEY]

A receipt is checked with no network: its log entry names it, the checkpoint is signed by the
key, and the inclusion proof leads to the checkpoint's root. The monitor fetches the latest
checkpoint, checks its signature, and proves that it extends the one kept in FILE: a log that
shrank (entries deleted), was rewritten, or shows two trees of one size raises an alarm, and
FILE keeps the last good checkpoint. KEY is a verifier key or a file holding one; the monitor
otherwise trusts the key it saw first and raises an alarm if the server's changes.

Exit codes: 0 valid, 1 invalid or alarm, 2 usage, file or network error.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
from pathlib import Path

import requests

from registre_client.transparency import (
    Checkpoint, ProofError, VerifierKey, check_receipt, open_checkpoint, verify_consistency,
)

OK, INVALID, ERROR = 0, 1, 2


class Unreachable(Exception):
    """The server could not be asked (network, status, shape): not an alarm, an error."""


def _key_argument(value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value)
    if "+" not in value and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value.strip()


def verify_receipt(path: str, key: str | None) -> int:
    try:
        receipt = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"error: cannot read {path}: {error}", file=sys.stderr)
        return ERROR
    if not isinstance(receipt, dict):
        print(f"INVALID: {path} is not a receipt of the registry", file=sys.stderr)
        return INVALID
    try:
        check = check_receipt(receipt, key)
    except ProofError as error:
        print(f"INVALID: {error}", file=sys.stderr)
        return INVALID
    print(f"OK: receipt {check.reference} is entry {check.index} of {check.origin}, tree size {check.size}")
    if check.key_from_receipt:
        print("note: checked with the key the receipt carries; pass --key with the registry's published key "
              "to prove it was the registry that signed")
    return OK


def _get(url: str) -> requests.Response:
    try:
        response = requests.get(url, timeout=30)
    except requests.RequestException as error:
        raise Unreachable(f"cannot reach {url}: {type(error).__name__}") from None
    if response.status_code != 200:
        raise Unreachable(f"{url} answered {response.status_code}")
    return response


def _save(state_path: Path, state: dict) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=state_path.parent, prefix=state_path.name + ".")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(temporary, state_path)


def monitor(url: str, state_path: Path, key_text: str | None) -> int:
    base = url.rstrip("/") + "/api/v1/transparency"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    except (OSError, ValueError) as error:
        print(f"error: cannot read the state file {state_path}: {error}", file=sys.stderr)
        return ERROR
    try:
        served_key = _get(base + "/key").text.strip()
        trusted = key_text or state.get("key") or served_key
        if served_key != trusted:
            print(f"ALARM: the log's key changed: the server now gives {served_key}, not {trusted}", file=sys.stderr)
            return INVALID
        key = VerifierKey.parse(trusted)
        note = _get(base + "/checkpoint").text
        try:
            latest = open_checkpoint(note, key)
        except ProofError as error:
            print(f"ALARM: the latest checkpoint does not verify: {error}", file=sys.stderr)
            return INVALID
        if "checkpoint" in state:
            seen = Checkpoint.parse(state["checkpoint"].partition("\n\n")[0] + "\n")
            alarm = _compare(base, seen, latest)
            if alarm:
                print(f"ALARM: {alarm}", file=sys.stderr)
                return INVALID
            message = (f"OK: {latest.origin} grew from {seen.size} to {latest.size} entries, consistent"
                       if latest.size > seen.size else f"OK: {latest.origin} still holds {latest.size} entries")
        else:
            message = f"OK: first checkpoint of {latest.origin} saved ({latest.size} entries)"
    except (Unreachable, ProofError) as error:
        print(f"error: {error}", file=sys.stderr)
        return ERROR
    _save(state_path, {"key": trusted, "checkpoint": note})
    print(message)
    return OK


def _compare(base: str, seen: Checkpoint, latest: Checkpoint) -> str | None:
    """The alarm, if ``latest`` does not extend ``seen``."""
    if latest.size < seen.size:
        return (f"TRUNCATED: the log shrank from {seen.size} to {latest.size} entries "
                "(entries seen before were deleted)")
    if latest.size == seen.size:
        return None if latest.root == seen.root else (
            f"FORK: two different checkpoints for size {seen.size} (the log shown now is not the one seen before)")
    proof = _get(f"{base}/proof/consistency?first={seen.size}&second={latest.size}")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof.json()["hashes"]]
    except (ValueError, KeyError, TypeError):
        raise Unreachable("the consistency proof is not readable") from None
    try:
        verify_consistency(seen.size, latest.size, hashes, seen.root, latest.root)
    except ProofError:
        return (f"REWRITTEN: the log at size {latest.size} does not extend the one seen at size {seen.size} "
                "(its history was changed)")
    return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="registre-verify", description=__doc__.splitlines()[0])
    if args[:1] == ["monitor"]:
        parser.add_argument("command")
        parser.add_argument("url", help="the registry's address, e.g. https://registre.example")
        parser.add_argument("--state", required=True, type=Path, help="where the last good checkpoint is kept")
        parser.add_argument("--key", help="the log's verifier key, or a file holding it")
        options = parser.parse_args(args)
        return monitor(options.url, options.state, _key_argument(options.key))
    parser.add_argument("receipt", help="a receipt downloaded as JSON (recepisse-<reference>.json)")
    parser.add_argument("--key", help="the log's verifier key, or a file holding it")
    try:
        options = parser.parse_args(args)
    except SystemExit as exit_:
        return ERROR if exit_.code else OK
    return verify_receipt(options.receipt, _key_argument(options.key))


if __name__ == "__main__":
    sys.exit(main())
