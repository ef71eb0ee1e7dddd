"""``registre-verify``: check a receipt offline, or watch the registry's public log.

    registre-verify receipt.json [--key KEY]
    registre-verify monitor URL --state FILE [--key KEY]

A receipt is checked with no network: its log entry names it, its checkpoint is signed by the
log's key, and its inclusion proof leads from the entry to the checkpoint's root hash. Without
--key the receipt's own key is used, which proves only that the receipt agrees with itself.

The monitor, run regularly, fetches the log's latest signed checkpoint and proves that it extends
the one kept in FILE: a log that shrank (entries removed), was rewritten (entries changed), or
shows two different trees of one size raises an alarm, and FILE keeps the last good checkpoint.
The key trusted is KEY, else the one saved in FILE, else the server's on first use; an alarm is
also raised when the server's key is not the trusted one.

KEY is a verifier key (name+hash+key, as GET /api/v1/transparency/key gives it) or a file holding one.
Exit status: 0 valid, 1 invalid or alarm, 2 usage, file or network error.
"""

from __future__ import annotations

import argparse
import base64
import binascii
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
TIMEOUT = 30  # seconds, for each request
API = "/api/v1/transparency"


class Stop(Exception):
    """Ends a command: ``status`` is its exit status, the message the one line it prints."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- receipts ----------------------------------------------------------------------------------

def verify_receipt(path: Path, key: VerifierKey | None) -> None:
    try:
        receipt = json.loads(path.read_bytes())
    except OSError as error:
        raise Stop(ERROR, f"error: cannot read {path}: {error.strerror}") from None
    except ValueError:
        raise Stop(ERROR, f"error: {path} is not JSON (a receipt is saved as recepisse-<reference>.json)") from None
    try:
        check = check_receipt(receipt, key)
    except ProofError as error:
        raise Stop(INVALID, f"INVALID: {error}") from None
    print(f"OK: receipt {check.reference} is entry {check.index} of {check.checkpoint.origin}, "
          f"tree size {check.checkpoint.size}")
    if check.key_from_receipt:
        print("warning: checked with the key the receipt carries, which proves only that the receipt agrees "
              "with itself; give --key with the registry's published key to prove the registry signed it",
              file=sys.stderr)


# --- the monitor -------------------------------------------------------------------------------

def _get(url: str) -> requests.Response:
    try:
        response = requests.get(url, timeout=TIMEOUT, headers={"User-Agent": "registre-verify"})
    except requests.Timeout:
        raise Stop(ERROR, f"error: {url} did not answer within {TIMEOUT} seconds") from None
    except requests.ConnectionError:
        raise Stop(ERROR, f"error: cannot reach {url} (is the address right and the server up?)") from None
    except requests.RequestException as error:
        raise Stop(ERROR, f"error: cannot ask {url}: {error}") from None
    if response.status_code != 200:
        raise Stop(ERROR, f"error: {url} answered {response.status_code}{_problem(response)}")
    return response


def _problem(response: requests.Response) -> str:
    """The title and detail of an application/problem+json answer, if it is one."""
    try:
        problem = response.json()
    except ValueError:
        return ""
    if not isinstance(problem, dict):
        return ""
    return "".join(f": {problem[name]}" for name in ("title", "detail") if isinstance(problem.get(name), str))


def _text(url: str) -> str:
    try:
        return _get(url).content.decode("utf-8")  # not .text: without a charset requests guesses Latin-1
    except UnicodeDecodeError:
        raise Stop(ERROR, f"error: the answer of {url} is not UTF-8 text") from None


def _served_key(base: str) -> VerifierKey:
    try:
        return VerifierKey.parse(_text(base + "/key"))
    except ProofError as error:
        raise Stop(ERROR, f"error: the key the server gives is unreadable: {error}") from None


def _consistency_proof(base: str, first: int, second: int) -> list[bytes]:
    url = f"{base}/proof/consistency?first={first}&second={second}"
    try:
        answer = _get(url).json()
        if answer["first"] != first or answer["second"] != second:
            raise ValueError
        return [base64.b64decode(h, validate=True) for h in answer["hashes"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise Stop(ERROR, f"error: the consistency proof {url} gave is unreadable") from None


def _read_state(path: Path) -> tuple[VerifierKey, Checkpoint] | None:
    """The key and checkpoint saved by the last good run, None before the first one."""
    try:
        saved = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as error:
        raise Stop(ERROR, f"error: cannot read the state file {path}: {error.strerror}") from None
    except ValueError:
        saved = None
    try:
        key = VerifierKey.parse(saved["key"])
        return key, open_checkpoint(saved["checkpoint"], key)
    except (KeyError, TypeError, ProofError):
        raise Stop(ERROR, f"error: the state file {path} is damaged (it does not hold a checkpoint saved by "
                          "registre-verify); restore it, or give a new file to start again") from None


def _save_state(path: Path, key: VerifierKey, note: str) -> None:
    """Written whole or not at all: a temporary file beside it, then renamed over it."""
    data = json.dumps({"key": str(key), "checkpoint": note}, indent=2) + "\n"
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise Stop(ERROR, f"error: cannot write the state file {path}: {error.strerror}") from None


def _alarm(kind: str, seen: str, meaning: str) -> Stop:
    return Stop(INVALID, f"{kind}: {seen}: {meaning}. The state file was left as it was: keep it, with this "
                         "message, to report the alarm.")


def _compare(base: str, seen: Checkpoint, latest: Checkpoint) -> str:
    """The OK line when ``latest`` extends ``seen``; else raise the alarm."""
    if latest.size < seen.size:
        raise _alarm("TRUNCATED", f"the log shrank from {seen.size} to {latest.size} entries",
                     "entries it had published were removed")
    if latest.size == seen.size:
        if latest.root != seen.root:
            raise _alarm("FORK", f"two different checkpoints for size {seen.size}, both signed by the log's key",
                         "the log shown now is not the one seen before")
        return f"OK: {latest.origin} unchanged, {latest.size} entries"
    if seen.size > 0:  # any log extends the empty one
        proof = _consistency_proof(base, seen.size, latest.size)
        try:
            verify_consistency(seen.size, latest.size, proof, seen.root, latest.root)
        except ProofError as error:
            raise _alarm("REWRITTEN", f"the log at size {latest.size} does not extend the one seen at size "
                                      f"{seen.size} ({error})", "entries it had published were changed") from None
    return f"OK: {latest.origin} grew from {seen.size} to {latest.size} entries, consistent"


def monitor(url: str, state_path: Path, key: VerifierKey | None) -> None:
    state = _read_state(state_path)
    base = url.rstrip("/") + API
    served = _served_key(base)
    trusted = key or (state[0] if state else served)
    if served != trusted:
        raise _alarm("KEY CHANGED", f"the server gives the key {served}, not the trusted {trusted}",
                     "its checkpoints may be signed by a key no one was told about")
    if state and state[1].origin != trusted.name:
        raise Stop(ERROR, f"error: the state file {state_path} follows the log {state[1].origin}, not "
                          f"{trusted.name}; give another file")
    note = _text(base + "/checkpoint")
    try:
        latest = open_checkpoint(note, trusted)
    except ProofError as error:
        raise _alarm("BAD CHECKPOINT", f"the latest checkpoint does not verify ({error})",
                     "the server shows a log its key did not sign") from None
    if state is None:
        message = f"OK: first checkpoint of {latest.origin} saved, {latest.size} entries"
    else:
        message = _compare(base, state[1], latest)
    _save_state(state_path, trusted, note)
    print(message)


# --- command line ------------------------------------------------------------------------------

def _key(value: str) -> VerifierKey:
    """--key: a verifier key, or a file holding one."""
    text = value
    if os.path.isfile(value):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise argparse.ArgumentTypeError(f"cannot read {value}: {error}") from None
    try:
        return VerifierKey.parse(text)
    except ProofError as error:
        raise argparse.ArgumentTypeError(f"{error} (give the key itself, or a file holding it)") from None


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise argparse.ArgumentTypeError("give the registry's address, such as https://registre.example")
    return value


def _parser(monitoring: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="registre-verify monitor" if monitoring else "registre-verify",
                                     description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    if monitoring:
        parser.add_argument("url", type=_url, help="the registry's address, such as https://registre.example")
        parser.add_argument("--state", type=Path, required=True, help="where the last good checkpoint is kept")
    else:
        parser.add_argument("receipt", type=Path, help="a receipt downloaded as JSON (recepisse-<reference>.json)")
    parser.add_argument("--key", type=_key, help="the log's verifier key, or a file holding it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    monitoring = args[:1] == ["monitor"]
    try:
        options = _parser(monitoring).parse_args(args[1:] if monitoring else args)
    except SystemExit as stop:  # argparse has printed the help (0) or what is wrong (2)
        return ERROR if stop.code else OK
    try:
        if monitoring:
            monitor(options.url, options.state, options.key)
        else:
            verify_receipt(options.receipt, options.key)
    except Stop as stop:
        print(stop, file=sys.stderr)
        return stop.status
    return OK


if __name__ == "__main__":
    sys.exit(main())
