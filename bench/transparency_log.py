"""The transparency log at national size: filing with and without the log, and proofs, at 10 M leaves.

    .venv/bin/python -m bench.transparency_log [--leaves 10000000] [--filings 2000] [--engines sqlite,postgresql]

Fills the log with ``--leaves`` leaves in bulk (``registry.log_tree.build``, as migration 0013
backfills), sets the chain's last event at that number, then files ``--filings`` new oppositions
through ``file_opposition``, each in its own unit of work as the portal commits it. The baseline is
the same filing with the log's append turned off, timed in the same run on a twin database filled
the same way (so that neither tree gets holes), in alternating blocks so that neither side gets
the warmer cache. Then the proofs at that size: an inclusion proof for
random leaves and a consistency proof, their size and the time to read them from the tiles, and
the bytes the tiles take.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.lookup_throughput import KEY, synthetic_identifiers  # noqa: E402
from registry import log_tree  # noqa: E402
from registry.db import create_database_engine, unit_of_work, upgrade_database  # noqa: E402
from registry.hashing import IdentifierHasher  # noqa: E402
from registry.identifiers import parse_identifier  # noqa: E402
from registry.keyring import Keyring  # noqa: E402
from registry.keys import SecretKey  # noqa: E402
from registry.log_tree import LogPendingHash, LogTile, TreeReader, tree_size  # noqa: E402
from registry.models import AuditEvent, utcnow  # noqa: E402
from registry.oppositions import file_opposition  # noqa: E402
from registry.oprf import OprfEvaluator  # noqa: E402

BLOCK = 100


def fill(engine, leaves: int) -> None:
    """``leaves`` random leaf hashes in the tree, and a last audit event numbered ``leaves``."""
    started = time.perf_counter()
    random = os.urandom(32 * leaves)
    with Session(engine) as session, unit_of_work(session):
        log_tree.build(session, (random[i:i + 32] for i in range(0, len(random), 32)))
        session.add(AuditEvent(seq=leaves, occurred_at=utcnow(), actor="bench", action="bench.filled",
                               target=None, details="{}", prev_hash="0" * 64, hash=os.urandom(32).hex()))
    print(f"  filled {leaves:,} leaves in {time.perf_counter() - started:.0f} s")


def file_block(engine, keyring: Keyring, identifiers: list[str]) -> float:
    """Seconds to file each identifier in its own transaction."""
    parsed = [parse_identifier(value) for value in identifiers]
    with Session(engine) as session:
        started = time.perf_counter()
        for identifier in parsed:
            with unit_of_work(session):
                file_opposition(session, keyring, identifier)
        return time.perf_counter() - started


def filing_rates(logged_engine, bare_engine, keyring: Keyring, filings: int) -> tuple[float, float]:
    """Filings per second with the log (on ``logged_engine``) and without it (``bare_engine``),
    in alternating blocks of the same identifiers."""
    identifiers = synthetic_identifiers(filings, 20_000_000)
    real_append = log_tree.append
    with_log, without_log = [], []
    for block, start in enumerate(range(0, filings, BLOCK)):
        chunk = identifiers[start:start + BLOCK]
        with_log.append(len(chunk) / file_block(logged_engine, keyring, chunk))
        log_tree.append = lambda session, index, leaf: None
        try:
            without_log.append(len(chunk) / file_block(bare_engine, keyring, chunk))
        finally:
            log_tree.append = real_append
    return statistics.median(with_log), statistics.median(without_log)


def proofs(engine, samples: int = 200) -> None:
    with Session(engine) as session:
        size = tree_size(session)
        indices = [int.from_bytes(os.urandom(8), "big") % size for _ in range(samples)]
        started = time.perf_counter()
        lengths = [len(TreeReader(session).inclusion_proof(index, size)) for index in indices]
        inclusion_ms = (time.perf_counter() - started) / samples * 1000
        started = time.perf_counter()
        consistency = [len(TreeReader(session).consistency_proof(1 + (size // 2 + i * 7919) % (size - 1), size))
                       for i in range(20)]
        consistency_ms = (time.perf_counter() - started) / 20 * 1000
        started = time.perf_counter()
        TreeReader(session).root(size)
        root_ms = (time.perf_counter() - started) * 1000
        stored = (session.scalar(select(func.sum(func.length(LogTile.hashes)))) or 0) + \
            32 * session.scalar(select(func.count()).select_from(LogPendingHash))
    print(f"  inclusion proof at {size:,} leaves: {max(lengths)} hashes ({max(lengths) * 32} bytes), "
          f"{inclusion_ms:.2f} ms to read (mean of {samples})")
    print(f"  consistency proof to {size:,} from 20 sizes past half: up to {max(consistency)} hashes, {consistency_ms:.2f} ms; "
          f"root {root_ms:.2f} ms")
    print(f"  tiles: {stored / 1e6:,.0f} MB of hashes ({stored / size:.1f} bytes per leaf)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=10_000_000)
    parser.add_argument("--filings", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    keyring = Keyring(IdentifierHasher(KEY), OprfEvaluator(SecretKey("bench-oprf", b"\x07" * 32)))
    print(f"transparency log: {args.filings:,} filings at {args.leaves:,} leaves")
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
                from tests.conftest import _create_pg_database

                urls = [_create_pg_database(cluster, "logged"), _create_pg_database(cluster, "bare")]
            else:
                urls = [f"sqlite:///{folder}/logged.db", f"sqlite:///{folder}/bare.db"]
            try:
                print(f" {name}")
                engines = [create_database_engine(url) for url in urls]
                for engine in engines:
                    upgrade_database(engine)
                    fill(engine, args.leaves)
                logged, baseline = filing_rates(*engines, keyring, args.filings)
                print(f"  baseline  filing without the log   {baseline:>8,.0f} filings/s")
                print(f"  with the log (append + tiles)      {logged:>8,.0f} filings/s  "
                      f"({(1 - logged / baseline) * 100:+.1f} % lost)")
                proofs(engines[0])
                for engine in engines:
                    engine.dispose()
            finally:
                if cluster:
                    cluster.stop()


if __name__ == "__main__":
    main()
