"""Private lookup end to end: ``registre-check --private`` against gunicorn, on this machine.

    .venv/bin/python -m bench.private_lookup [--cohort 100000] [--stored 1000000] [--workers 2]
                                             [--breakdown]

Fills a SQLite database with ``--stored`` oppositions (one in 20 cohort members among them),
starts gunicorn with 2 workers on 127.0.0.1 and times the warehouse client from start to finish,
as a warehouse runs it: read and validate the CSV, blind, evaluate through the API in batches of
10,000 (each with its DLEQ proof), verify and unblind, download the filter, test membership,
write the cleaned CSV and send the acknowledgement. The baseline, in the same run, is the same
client in its ordinary mode (identifiers sent in batches of 10,000). Both cleaned files must be
identical. It also prints the filter's size beside the raw size of the opposed outputs, and a
second private run that revalidates the filter kept from the first (a delta of nothing).

``--breakdown`` adds the cost of each step in one process (blind, evaluate, verify+unblind) for
one batch, to see where the time goes.

Set-up shortcut: the opposed cohort members get their real OPRF outputs; the other stored people
get random 64-byte values, which is what the OPRF outputs of people outside the cohort look like
to it (computing a million real ones would only lengthen the set-up by a few minutes).
"""

from __future__ import annotations

import argparse
import base64
import csv
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.api_throughput import OPRF, free_port, server_env, wait_up  # noqa: E402
from bench.lookup_throughput import KEY, store, synthetic_identifiers  # noqa: E402
from registry.db import create_database_engine, upgrade_database  # noqa: E402
from registry.hashing import IdentifierHasher  # noqa: E402
from registry.identifiers import normalise_fast  # noqa: E402
from registry.oprf import OUTPUT_SIZE, OprfEvaluator  # noqa: E402
from registry.private_client import blind_batch, unblind_batch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OPPOSED_EVERY = 20


def fill(url: str, stored: list[str], real_outputs: set[int]) -> None:
    """``stored`` oppositions (all purposes); the indexes in ``real_outputs`` get real OPRF outputs."""
    engine = create_database_engine(url)
    upgrade_database(engine)
    hasher, oprf = IdentifierHasher(KEY), OprfEvaluator(OPRF)
    for start in range(0, len(stored), 200_000):
        part = stored[start:start + 200_000]
        outputs = [oprf.output(value) if i in real_outputs else os.urandom(OUTPUT_SIZE)
                   for i, value in enumerate(part, start=start)]
        store(engine, hasher, part, outputs, oprf.key_id)
    engine.dispose()


def write_cohort(path: Path, stored: list[str], size: int) -> set[int]:
    """A cohort CSV; one member in ``OPPOSED_EVERY`` is a stored opposition. Returns their indexes."""
    others = synthetic_identifiers(size, 30_000_000)
    opposed = set()
    with open(path, "w", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(["patient", "nir", "site"])
        for i in range(size):
            if i % OPPOSED_EVERY == 0:
                index = i * 7 % len(stored)
                opposed.add(index)
                writer.writerow([f"P{i:07d}", stored[index], "CHU"])
            else:
                writer.writerow([f"P{i:07d}", others[i], "CHU"])
    return opposed


def check(base: str, credentials: dict, cohort: Path, out: Path, *extra: str) -> float:
    env = {**os.environ, "REGISTRE_CLIENT_ID": credentials["client_id"],
           "REGISTRE_CLIENT_SECRET": credentials["client_secret"]}
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "registre-check"), str(cohort), "--column", "nir", "--purpose", "research",
                           "--out", str(out), "--url", base, "--quiet", *extra], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"registre-check failed ({done.returncode}):\n{done.stderr}")
    return seconds


def breakdown(cohort: Path, count: int) -> None:
    with open(cohort, newline="") as source:
        rows = list(csv.reader(source))[1:count + 1]
    values = [normalise_fast(row[1]) for row in rows]
    oprf = OprfEvaluator(OPRF)
    t0 = time.perf_counter()
    batch = blind_batch(values)
    t1 = time.perf_counter()
    evaluated, proof = oprf.evaluate_blinded(batch.elements)
    t2 = time.perf_counter()
    unblind_batch(batch, evaluated, proof, oprf.public_key)
    t3 = time.perf_counter()
    print(f"  one process, per identifier: blind {(t1 - t0) / count * 1e6:.0f} us (client), "
          f"evaluate with proof {(t2 - t1) / count * 1e6:.0f} us (registry), "
          f"verify + unblind {(t3 - t2) / count * 1e6:.0f} us (client)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="the client's processes")
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="registre-private-bench-") as name:
        folder = Path(name)
        url = f"sqlite:///{folder}/bench.db"
        stored = synthetic_identifiers(args.stored, 0)
        cohort = folder / "cohort.csv"
        started = time.perf_counter()
        opposed = write_cohort(cohort, stored, args.cohort)
        fill(url, stored, opposed)
        print(f"set-up: {args.stored:,} oppositions, cohort of {args.cohort:,} "
              f"({len(opposed):,} of them opposed) in {time.perf_counter() - started:.0f} s", flush=True)

        env = server_env(url, folder / "instance")
        flask = [str(BIN / "flask"), "--app", "wsgi", "registry"]
        credentials = json.loads(subprocess.run(
            [*flask, "create-warehouse", "Bench", "--json", "--scope", "lookup private-lookup"], env=env, cwd=ROOT,
            capture_output=True, text=True, check=True).stdout)
        subprocess.run([*flask, "declare-cohort", credentials["client_id"], str(args.cohort)], env=env, cwd=ROOT,
                       capture_output=True, check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
                                     "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT)
        try:
            wait_up(base)
            cache = folder / "filter-cache"
            ordinary_seconds = check(base, credentials, cohort, folder / "ordinary.csv", "--job-threshold", "1000000000")
            private_seconds = check(base, credentials, cohort, folder / "private.csv", "--private",
                                    "--workers", str(args.workers), "--filter-cache", str(cache))
            again_seconds = check(base, credentials, cohort, folder / "again.csv", "--private",
                                  "--workers", str(args.workers), "--filter-cache", str(cache))
            token = requests.post(base + "/api/v1/token", data={"grant_type": "client_credentials"}, timeout=60,
                                  auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
            published = requests.get(base + "/api/v1/private/filter", params={"purpose": "research"}, timeout=120,
                                     headers={"Authorization": f"Bearer {token}"})
        finally:
            gunicorn.terminate()
            gunicorn.wait()

        same = filecmp.cmp(folder / "ordinary.csv", folder / "private.csv", shallow=False)
        summary = json.loads(Path(f"{folder}/private.csv.summary.json").read_text())
        print(f"cohort {args.cohort:,} identifiers against {args.stored:,} oppositions: "
              f"{summary['kept']:,} kept, {summary['opposed']:,} opposed, {summary['invalid']:,} invalid; "
              f"cleaned CSV identical to the ordinary mode's: {'yes' if same else 'NO'}")
        print(f"  private mode, end to end ({args.workers} client processes)   {private_seconds:8.2f} s")
        print(f"  again, with the filter kept from the first run   {again_seconds:8.2f} s")
        print(f"  baseline: ordinary mode (identifiers sent)       {ordinary_seconds:8.2f} s")
        body = published.json()
        size = len(base64.b64decode(body["prefixes"]))
        raw = body["count"] * OUTPUT_SIZE
        print(f"  filter: {size:,} bytes for {body['count']:,} opposed outputs (raw outputs {raw:,} bytes, "
              f"{raw / max(1, size):.0f}x larger); {len(published.content):,} bytes as JSON over HTTP")
        if args.breakdown:
            breakdown(cohort, min(args.cohort, 10_000))
        if not same:
            raise SystemExit("the private and ordinary cleaned files differ")


if __name__ == "__main__":
    main()
