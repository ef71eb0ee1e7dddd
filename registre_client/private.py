"""``registre-check --private``: the cohort is checked without any identifier leaving the machine.

Each identifier is normalised and validated here, then blinded (RFC 9497, VOPRF over
ristretto255-SHA512); only blinded elements go to the registry, in batches. Every answer comes
with a batched DLEQ proof, verified against the registry's public key before anything is used:
a proof that fails stops the run, and nothing is written. The unblinded outputs are tested
against the published filter of opposed outputs, downloaded once and then kept up to date with
deltas (``--filter-cache``). The cleaned CSV, the report of invalid rows and the summary are the
ordinary mode's.

Blinding and unblinding are the costly part, so batches run in ``--workers`` processes, each with
its own connection; the rows wait in order and are written as their batch comes back.
"""

from __future__ import annotations

import base64
import datetime as dt
import binascii
import json
import multiprocessing
import os
import re
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import requests
from tqdm import tqdm

from registre_client.api import ApiError, RegistryClient
from registre_client.cohort_csv import (
    FIRST_ROW, cleaned_writer, invalid_report_path, invalid_report_writer, open_rows, write_invalid_header,
)
from registre_client.private_batches import BatchEvaluator, evaluate_in_worker, start_worker
from registry.identifiers import identifier_error, normalise_fast
from registry.opposition_filter import PREFIX_SIZE, FilterDelta, OppositionFilter, is_sorted
from registry.private_client import ProofRejected


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "registre-check"


class FilterExpired(Exception):
    """The registry could not be reached and the cached filter is past its ``valid_until``."""


class FilterCache:
    """The last filter downloaded for a purpose and key: its prefixes, what revalidates it, and
    its freshness (``checked_at``, ``valid_until``): until when it may stand in for the registry."""

    def __init__(self, folder: Path, purpose: str, key_id: str) -> None:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"filter-{purpose}-{key_id}")
        self.data, self.meta = folder / f"{name}.bin", folder / f"{name}.json"
        self.purpose, self.key_id = purpose, key_id

    def load(self) -> tuple[OppositionFilter | None, str | None, dict]:
        try:
            meta = json.loads(self.meta.read_text())
            prefixes = self.data.read_bytes()
        except (OSError, ValueError):
            return None, None, {}
        if len(prefixes) != meta.get("count", -1) * PREFIX_SIZE or not isinstance(meta.get("version"), int):
            return None, None, {}  # a damaged cache is downloaded again
        return (OppositionFilter(self.purpose, meta["version"], self.key_id, prefixes), meta.get("etag"),
                {name: meta.get(name) for name in ("checked_at", "valid_until")})

    def save(self, published: OppositionFilter, etag: str | None, freshness: dict) -> None:
        self.data.parent.mkdir(parents=True, exist_ok=True)
        _replace(self.data, published.prefixes)
        self.renew(published, etag, freshness)

    def renew(self, published: OppositionFilter, etag: str | None, freshness: dict) -> None:
        """Record a new freshness for the filter kept (the registry said it is unchanged): the
        prefixes on disk stay as they are."""
        meta = {"version": published.version, "count": published.count, "etag": etag,
                "checked_at": freshness.get("checked_at"), "valid_until": freshness.get("valid_until")}
        _replace(self.meta, json.dumps(meta).encode())


def _replace(path: Path, content: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)


def _prefixes(body: dict, name: str) -> list[bytes]:
    try:
        return [base64.b64decode(p, validate=True) for p in body[name]]
    except (KeyError, TypeError, binascii.Error):
        raise ApiError(200, "malformed_filter", f"the filter's '{name}' is not readable") from None


def _expired(valid_until: str | None, now: dt.datetime) -> bool:
    if not valid_until:
        return True
    try:
        return dt.datetime.fromisoformat(valid_until.replace("Z", "+00:00")) <= now
    except ValueError:
        return True


def refresh_filter(client: RegistryClient, cache: FilterCache) -> tuple[OppositionFilter, dict]:
    """The current filter and its freshness: the cached one when unchanged (its freshness renewed),
    patched with a delta, or downloaded. When the registry cannot be reached, the cached filter
    stands in for it while it is valid (``valid_until``), never after (``FilterExpired``)."""
    cached, etag, held = cache.load()
    try:
        body, etag, freshness = client.private_filter(cache.purpose, since=cached.version if cached else None,
                                                      etag=etag)
    except (requests.RequestException, ApiError) as error:
        if isinstance(error, ApiError) and error.status < 500 or cached is None:
            raise
        if _expired(held.get("valid_until"), dt.datetime.now(dt.timezone.utc)):
            raise FilterExpired(
                f"the registry's filter could not be fetched ({error}), and the filter kept from the last run "
                f"(checked at {held.get('checked_at')}) expired at {held.get('valid_until')}: it cannot be "
                "used any more. Run again once the registry can be reached.") from None
        return cached, {**held, "from_cache": True}
    if body is None:
        cache.renew(cached, etag, freshness)
        return cached, freshness
    if body.get("key_id") != cache.key_id or body.get("prefix_size") != PREFIX_SIZE:
        raise ProofRejected(f"the filter was made under key {body.get('key_id')!r}, not the registry's "
                            f"key {cache.key_id!r}")
    if cached is not None and "added" in body:
        delta = FilterDelta(cache.purpose, body["since"], body["version"], _prefixes(body, "added"),
                            _prefixes(body, "removed"))
        published = cached.apply(delta)
    else:
        try:
            prefixes = base64.b64decode(body["prefixes"], validate=True)
        except (KeyError, TypeError, binascii.Error):
            raise ApiError(200, "malformed_filter", "the filter's prefixes are not readable") from None
        if len(prefixes) % PREFIX_SIZE or not is_sorted(prefixes):
            raise ApiError(200, "malformed_filter", "the filter is not a sorted list of prefixes")
        published = OppositionFilter(cache.purpose, body["version"], cache.key_id, prefixes)
    freshness = {name: body.get(name) or freshness.get(name) for name in ("checked_at", "valid_until")}
    cache.save(published, etag, freshness)
    return published, freshness


class _Done:
    """A batch answered in this process, shaped like a future."""

    def __init__(self, value: bytes) -> None:
        self.value = value

    def result(self) -> bytes:
        return self.value


def run_private(client: RegistryClient, args, total: int) -> dict:
    """Check the cohort in private mode; writes ``args.out`` only once every proof verified."""
    key_id, served_key = client.private_key()
    public_key = args.public_key or served_key
    # The filter downloads while the first batches are evaluated, on a connection of its own.
    loader = ThreadPoolExecutor(1, thread_name_prefix="filter")
    filter_client = RegistryClient(client.base_url, *client.credentials, retries=client.retries)
    pending_filter = loader.submit(refresh_filter, filter_client, FilterCache(args.filter_cache, args.purpose, key_id))
    loader.shutdown(wait=False)
    counts = {"rows": 0, "kept": 0, "opposed": 0, "invalid": 0}
    batches = max(1, -(-total // args.batch_size))
    workers = max(1, min(args.workers, batches))
    # The same number of batches for every worker, so that none is left alone with the last one
    # while the other cores wait (105,000 rows on 2 workers: 12 batches of 8,750, not 11).
    batch_size = -(-total // (workers * -(-batches // workers))) or args.batch_size
    pool = None
    if workers > 1:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_worker,
                                   initargs=(client.base_url, *client.credentials, client.retries, args.purpose,
                                             key_id, public_key, PREFIX_SIZE, client.permit))
    evaluate = BatchEvaluator(client, args.purpose, key_id, public_key, PREFIX_SIZE)
    partial = args.out.with_name(args.out.name + ".partial")
    report = invalid_report_path(args.out)
    partial_report = report.with_name(report.name + ".partial")
    fmt = args.cohort_format
    source, reader, header, index = open_rows(args.input, args.column, fmt)
    pending: deque[tuple[list, list, Future | _Done]] = deque()
    try:
        with source, fmt.open(partial, "w") as out, fmt.open(partial_report, "w") as report_file, \
                tqdm(total=total, unit="rows", desc="checking (private)", disable=args.quiet) as bar:
            writer, invalid = cleaned_writer(out, fmt), invalid_report_writer(report_file, fmt)
            writer.writerow(header)
            write_invalid_header(invalid, header)

            def write_oldest() -> None:
                rows, errors, answer = pending.popleft()
                prefixes = answer.result()
                published, _ = pending_filter.result()
                opposed = iter(published.contains_many(prefixes))
                for number, (row, error) in enumerate(zip(rows, errors), start=FIRST_ROW + counts["rows"]):
                    if error is not None:
                        counts["invalid"] += 1
                        invalid.writerow([number, error, *row])
                    elif next(opposed):
                        counts["opposed"] += 1
                    else:
                        counts["kept"] += 1
                        writer.writerow(row)
                counts["rows"] += len(rows)
                bar.update(len(rows))

            while rows := [row for _, row in zip(range(batch_size), reader)]:
                values = [normalise_fast(row[index] if index < len(row) else "") for row in rows]
                errors = [identifier_error(value) for value in values]
                valid = [value for value, error in zip(values, errors) if error is None]
                if not valid:
                    answer = _Done(b"")
                elif pool is not None:
                    answer = pool.submit(evaluate_in_worker, valid)
                else:
                    answer = _Done(evaluate(valid))
                pending.append((rows, errors, answer))
                while len(pending) > 2 * workers:
                    write_oldest()
            while pending:
                write_oldest()
        partial.replace(args.out)
        partial_report.replace(report)
    except BaseException:
        partial.unlink(missing_ok=True)  # nothing half-checked is left to be mistaken for a result
        partial_report.unlink(missing_ok=True)
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        pending_filter.cancel()
    published, freshness = pending_filter.result()
    counts["filter_version"] = published.version
    counts["checked_at"], counts["valid_until"] = freshness.get("checked_at"), freshness.get("valid_until")
    if freshness.get("from_cache"):
        counts["filter_from_cache"] = True
        print(f"registre-check: the registry's filter could not be fetched; the one kept from the last run "
              f"(checked at {freshness.get('checked_at')}, valid until {freshness.get('valid_until')}) was used.",
              file=sys.stderr)
    counts["key_id"] = key_id
    counts["acknowledged"] = False
    if not args.no_acknowledgement:
        try:
            client.acknowledge(args.purpose, counts["kept"] + counts["opposed"], counts["opposed"], published.version)
            counts["acknowledged"] = True
        except ApiError as error:
            print(f"registre-check: the acknowledgement was not received ({error}); the result stands.",
                  file=sys.stderr)
    return counts


def public_key_argument(text: str) -> bytes:
    """``--public-key``: the registry's published key, base64 (32 bytes)."""
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise ValueError("the public key is the base64 of 32 bytes, as published by the registry")
    return key
