"""Lookup throughput: normalise + validate + HMAC + membership check, against stored oppositions.

    .venv/bin/python -m bench.lookup_throughput [--count 1000000] [--engines sqlite,postgresql]

Stores ``--count`` oppositions, then checks ``--count`` identifiers (half of them opposed, every
tenth one written with spaces, one in a thousand invalid) through ``registry.lookups.lookup_batch``
in batches of 10,000, as the API will. The baseline, timed in the same run on the same inputs,
is the bare ``hmac.new`` loop. Figures are medians of ``--repeat`` runs, on one core (SQLite runs
in this process; PostgreSQL is a throwaway cluster in its own process).

The stored rows are written in bulk, not through ``file_opposition``: filing computes an OPRF output
per person (~40 us) and an audit event, which would only slow the set-up. Their ``oprf_output``
column is filled with a distinct digest; the lookup path never reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session  # noqa: E402

from registry.db import create_database_engine, upgrade_database  # noqa: E402
from registry.hashing import IdentifierHasher, lookup_key  # noqa: E402
from registry.identifier_rules import key_for  # noqa: E402
from registry.keyring import Keyring  # noqa: E402
from registry.keys import SecretKey  # noqa: E402
from registry.lookups import lookup_batch  # noqa: E402
from registry.oprf import OprfEvaluator  # noqa: E402
from registry.purposes import ALL_PURPOSES_MASK, Purpose  # noqa: E402

BATCH = 10_000
KEY = SecretKey("bench-1", b"\x42" * 32)


def synthetic_identifiers(count: int, start: int) -> list[str]:
    """Valid 15-character numbers: sex, year, month, department and order vary with the index."""
    values = []
    for i in range(start, start + count):
        body = f"{1 + i % 2}{i % 100:02d}{1 + (i // 100) % 12:02d}{1 + (i // 1200) % 95:02d}{1 + (i // 114000) % 999:03d}{1 + i % 997:03d}"
        if body[5:7] == "20":
            body = body[:5] + "21" + body[7:]
        values.append(body + key_for(body))
    return values


def query_set(stored: list[str], count: int) -> list[str]:
    absent = synthetic_identifiers(count - count // 2, 10_000_000)
    queries = stored[: count // 2] + absent
    for i in range(0, len(queries), 10):
        v = queries[i]
        queries[i] = f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"
    for i in range(7, len(queries), 1000):
        queries[i] = queries[i][:-2] + ("00" if queries[i][-2:] != "00" else "01")
    return queries


def store(engine, hasher: IdentifierHasher, stored: list[str], outputs: list[bytes] | None = None,
          oprf_key_id: str = "placeholder") -> None:
    """Oppositions to every purpose for ``stored``, with the given OPRF outputs (or stand-ins)."""
    digests = hasher.digest_many(stored)
    outputs = outputs or [hashlib.sha512(d).digest() for d in digests]
    rows = [
        (d, lookup_key(d), KEY.key_id, output, oprf_key_id, ALL_PURPOSES_MASK) for d, output in zip(digests, outputs)
    ]
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        if engine.dialect.name == "postgresql":
            with raw.cursor().copy(
                "COPY subjects (id_hash, lookup_key, hash_key_id, oprf_output, oprf_key_id, opposed_purposes,"
                " current_version, created_at, updated_at) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row((*row, 1, "2026-01-01", "2026-01-01"))
        else:
            raw.executemany(
                "INSERT INTO subjects (id_hash, lookup_key, hash_key_id, oprf_output, oprf_key_id, opposed_purposes,"
                " current_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, '2026-01-01', '2026-01-01')",
                rows,
            )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE subjects")


def time_baseline(queries: list[str]) -> float:
    started = time.perf_counter()
    for q in queries:
        hmac.new(KEY.secret, q.encode(), hashlib.sha256).digest()
    return len(queries) / (time.perf_counter() - started)


def time_lookup(engine, keyring: Keyring, queries: list[str]) -> tuple[float, int]:
    opposed = 0
    started = time.perf_counter()
    with Session(engine) as session:
        for start in range(0, len(queries), BATCH):
            results = lookup_batch(session, keyring, queries[start : start + BATCH], Purpose.RESEARCH)
            opposed += results.opposed.count(True)
    return len(queries) / (time.perf_counter() - started), opposed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()

    keyring = Keyring(IdentifierHasher(KEY), OprfEvaluator(SecretKey("bench-oprf", b"\x43" * 32)))
    stored = synthetic_identifiers(args.count, 0)
    queries = query_set(stored, args.count)
    expected_opposed = sum(1 for i in range(args.count // 2) if i % 1000 != 7)
    print(f"{args.count:,} stored oppositions, {len(queries):,} identifiers checked per run, "
          f"batches of {BATCH:,}, median of {args.repeat} runs")

    baseline = statistics.median(time_baseline(queries) for _ in range(args.repeat))
    print(f"  baseline  bare hmac.new loop             {baseline:>12,.0f} ids/s")

    for name in args.engines.split(","):
        with tempfile.TemporaryDirectory() as folder:
            cluster = None
            if name == "postgresql":
                from tests.postgres_cluster import PostgresCluster, find_pg_bin

                pg_bin = find_pg_bin()
                if pg_bin is None:
                    print("  postgresql: not installed, skipped")
                    continue
                cluster = PostgresCluster(pg_bin)
                cluster.start()
                url = cluster.url()
            else:
                url = f"sqlite:///{folder}/bench.db"
            try:
                engine = create_database_engine(url)
                upgrade_database(engine)
                store(engine, keyring.hasher, stored)
                runs = [time_lookup(engine, keyring, queries) for _ in range(args.repeat)]
                rate = statistics.median(r for r, _ in runs)
                assert all(found == expected_opposed for _, found in runs), "wrong number of matches"
                print(f"  {name:<11}validate+HMAC+check (lookup_batch) {rate:>12,.0f} ids/s"
                      f"  ({rate / baseline:.2f}x the bare HMAC loop)")
                engine.dispose()
            finally:
                if cluster:
                    cluster.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak resident memory of this process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
