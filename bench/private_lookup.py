"""Private lookup, end to end in one process: a cohort checked without sending identifiers.

    .venv/bin/python -m bench.private_lookup [--cohort 100000] [--stored 1000000]

``--stored`` oppositions are in the database; half of the cohort is among them. The run times the
warehouse's side (normalise, blind) and the registry's (batched evaluation with its DLEQ proof, in
batches of 10,000), the proof verification and unblinding, the filter build and the membership
tests, and prints the total beside the ordinary lookup of the same cohort in the same run.
It also prints the filter's size beside the raw size of the opposed outputs.

Set-up shortcut: the opposed cohort members get their real OPRF outputs; the other stored people
get random 64-byte values, which is what OPRF outputs of unknown people look like (computing
a million real ones would only lengthen the set-up by ~40 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session  # noqa: E402

from bench.lookup_throughput import KEY, synthetic_identifiers  # noqa: E402
from registry.db import create_database_engine, upgrade_database  # noqa: E402
from registry.hashing import IdentifierHasher, lookup_key  # noqa: E402
from registry.identifiers import normalise_fast  # noqa: E402
from registry.keyring import Keyring  # noqa: E402
from registry.keys import SecretKey  # noqa: E402
from registry.lookups import lookup_batch  # noqa: E402
from registry.opposition_filter import build_filter  # noqa: E402
from registry.oprf import OUTPUT_SIZE, OprfEvaluator  # noqa: E402
from registry.private_client import blind_batch, unblind_batch  # noqa: E402
from registry.purposes import ALL_PURPOSES_MASK, Purpose  # noqa: E402

BATCH = 10_000


def store(engine, keyring: Keyring, stored: list[str], real_outputs: int) -> None:
    digests = keyring.hasher.digest_many(stored)
    rows = []
    for i, (value, digest) in enumerate(zip(stored, digests)):
        output = keyring.oprf.output(value) if i < real_outputs else os.urandom(OUTPUT_SIZE)
        rows.append((digest, lookup_key(digest), KEY.key_id, output, keyring.oprf.key_id, ALL_PURPOSES_MASK))
    with engine.begin() as connection:
        connection.connection.driver_connection.executemany(
            "INSERT INTO subjects (id_hash, lookup_key, hash_key_id, oprf_output, oprf_key_id, opposed_purposes,"
            " current_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, '2026-01-01', '2026-01-01')",
            rows,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    args = parser.parse_args()

    keyring = Keyring(IdentifierHasher(KEY), OprfEvaluator(SecretKey("bench-oprf", b"\x43" * 32)))
    opposed_in_cohort = args.cohort // 2
    stored = synthetic_identifiers(args.stored, 0)
    cohort = stored[:opposed_in_cohort] + synthetic_identifiers(args.cohort - opposed_in_cohort, 20_000_000)

    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{folder}/bench.db")
        upgrade_database(engine)
        store(engine, keyring, stored, opposed_in_cohort)
        with Session(engine) as session:
            started = time.perf_counter()
            ordinary = []
            for i in range(0, len(cohort), BATCH):
                ordinary += lookup_batch(session, keyring, cohort[i : i + BATCH], Purpose.RESEARCH).opposed
            ordinary_seconds = time.perf_counter() - started

            timings = dict.fromkeys(("blind", "evaluate", "verify+unblind", "filter", "membership"), 0.0)
            started = time.perf_counter()
            outputs = []
            for i in range(0, len(cohort), BATCH):
                t0 = time.perf_counter()
                batch = blind_batch([normalise_fast(v) for v in cohort[i : i + BATCH]])
                t1 = time.perf_counter()
                evaluated, proof = keyring.oprf.evaluate_blinded(batch.elements)
                t2 = time.perf_counter()
                outputs += unblind_batch(batch, evaluated, proof, keyring.oprf.public_key)
                t3 = time.perf_counter()
                timings["blind"] += t1 - t0
                timings["evaluate"] += t2 - t1
                timings["verify+unblind"] += t3 - t2
            t0 = time.perf_counter()
            published = build_filter(session, Purpose.RESEARCH, keyring.oprf.key_id)
            t1 = time.perf_counter()
            private = [published.contains(o) for o in outputs]
            t2 = time.perf_counter()
            timings["filter"], timings["membership"] = t1 - t0, t2 - t1
            private_seconds = time.perf_counter() - started
        engine.dispose()

    assert private == ordinary, "private and ordinary answers differ"
    print(f"cohort {args.cohort:,} identifiers against {args.stored:,} oppositions; {sum(private):,} opposed")
    print(f"  baseline  ordinary lookup (identifiers sent)  {ordinary_seconds:8.2f} s")
    print(f"  private   blinded end to end                  {private_seconds:8.2f} s")
    for name, seconds in timings.items():
        print(f"            {name:<34}{seconds:8.2f} s")
    raw = published.count * OUTPUT_SIZE
    print(f"  filter: {len(published.prefixes):,} bytes for {published.count:,} opposed outputs "
          f"(raw outputs: {raw:,} bytes, {raw / max(1, len(published.prefixes)):.0f}x larger)")


if __name__ == "__main__":
    main()
