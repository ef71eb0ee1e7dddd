"""Private lookup end to end: ``registre-check --private`` against gunicorn, on this machine.

    .venv/bin/python -m bench.private_lookup [--cohort 100000] [--stored 1000000] [--workers 2]
                                             [--rounds 3]

Fills a SQLite database with ``--stored`` oppositions (one in 20 cohort members among them),
starts gunicorn with 2 workers on 127.0.0.1 and times the warehouse client from start to finish,
as a warehouse runs it: read and validate the CSV, blind, evaluate through the API in batches of
10,000 (each with its DLEQ proof), verify and unblind, download the filter, test membership,
write the cleaned CSV and send the acknowledgement. The baseline, in the same run, is the same
client in its ordinary mode (identifiers sent in batches of 10,000), the two modes alternating
for ``--rounds`` rounds; medians are printed. Both cleaned files must be identical. Beside the
wall time it prints the CPU time of the client (all its processes) and of the registry's
workers, whose sum over the 2 cores is what the machine's load cannot inflate much.

Every run first prints the floor of the primitives (``bench.ristretto_floor``) and the
end-to-end floor it implies, and ends with the cost of each step in one process (blind,
evaluate, verify+unblind) for one batch, to see where the time goes. It also prints the filter's
size beside the raw size of the opposed outputs, and a private run that revalidates the filter
kept from the previous one (a delta of nothing).

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
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench import ristretto_floor  # noqa: E402
from bench.api_throughput import OPRF, cpu_seconds, free_port, server_env, wait_up  # noqa: E402
from bench.lookup_throughput import KEY, store, synthetic_identifiers  # noqa: E402
from registry.db import create_database_engine, upgrade_database  # noqa: E402
from registry.hashing import IdentifierHasher  # noqa: E402
from registry.identifiers import normalise_fast  # noqa: E402
from registry.oprf import OUTPUT_SIZE, OprfEvaluator  # noqa: E402
from registry.private_client import blind_batch, unblind_batch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OPPOSED_EVERY = 20
TARGET_SECONDS = 8.0
TARGET_RATIO = 10.0
FLOOR_MARGIN = 1.5  # when the floor itself is over the target: how close to it the private mode must come


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


def server_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn master's workers."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    return cpu_seconds(children)


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the client and its worker processes, once ended
    return usage.ru_utime + usage.ru_stime


def check(base: str, credentials: dict, cohort: Path, out: Path, *extra: str, server: int = 0) -> dict:
    """One run of registre-check: wall seconds, and the CPU seconds of the client and the registry."""
    env = {**os.environ, "REGISTRE_CLIENT_ID": credentials["client_id"],
           "REGISTRE_CLIENT_SECRET": credentials["client_secret"]}
    client_before, server_before = client_cpu(), server_cpu(server)
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "registre-check"), str(cohort), "--column", "nir", "--purpose", "research",
                           "--out", str(out), "--url", base, "--quiet", *extra], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"registre-check failed ({done.returncode}):\n{done.stderr}")
    return {"wall": seconds, "client": client_cpu() - client_before, "server": server_cpu(server) - server_before}


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
    parser.add_argument("--rounds", type=int, default=3, help="ordinary and private runs, alternating")
    parser.add_argument("--breakdown", action="store_true", help="(always printed)")
    args = parser.parse_args()

    floor_seconds = ristretto_floor.report(ristretto_floor.measure(), args.cohort)
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
        subprocess.run([*flask, "declare-cohort", credentials["client_id"], str(args.cohort * (args.rounds + 1))],
                       env=env, cwd=ROOT, capture_output=True, check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
                                     "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT)
        runs: dict[str, list[dict]] = {"ordinary": [], "private": []}
        private = ("--private", "--workers", str(args.workers))
        try:
            wait_up(base)
            for round_ in range(args.rounds):
                runs["ordinary"].append(check(base, credentials, cohort, folder / "ordinary.csv",
                                              "--job-threshold", "1000000000", server=gunicorn.pid))
                cache = folder / f"filter-cache-{round_}"  # a first run: the whole filter is downloaded
                runs["private"].append(check(base, credentials, cohort, folder / "private.csv", *private,
                                             "--filter-cache", str(cache), server=gunicorn.pid))
                print(f"  round {round_ + 1}: ordinary {runs['ordinary'][-1]['wall']:.2f} s, "
                      f"private {runs['private'][-1]['wall']:.2f} s", flush=True)
            again = check(base, credentials, cohort, folder / "again.csv", *private, "--filter-cache", str(cache),
                          server=gunicorn.pid)
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
        median = {mode: {name: statistics.median(run[name] for run in done) for name in ("wall", "client", "server")}
                  for mode, done in runs.items()}
        for mode, label in (("private", f"private mode, end to end ({args.workers} client processes)"),
                            ("ordinary", "baseline: ordinary mode (identifiers sent)")):
            figures, each = median[mode], ", ".join(f"{run['wall']:.2f}" for run in runs[mode])
            print(f"  {label}: median {figures['wall']:.2f} s of {each}; "
                  f"CPU client {figures['client']:.2f} s + registry {figures['server']:.2f} s = "
                  f"{(figures['client'] + figures['server']) / 2:.2f} s on 2 cores")
        private_seconds, ordinary_seconds = median["private"]["wall"], median["ordinary"]["wall"]
        ratio = private_seconds / ordinary_seconds
        print(f"  private / ordinary: {ratio:.1f}x (target at most {TARGET_RATIO:.0f}x: "
              f"{'met' if ratio <= TARGET_RATIO else 'not met'})")
        print(f"  target {TARGET_SECONDS:.0f} s (for 100,000 against 1,000,000): "
              f"{'met' if private_seconds <= TARGET_SECONDS else 'not met'}; "
              f"floor of the primitives {floor_seconds:.2f} s (above), private / floor {private_seconds / floor_seconds:.2f}"
              + (f" (the floor is over the target: at most {FLOOR_MARGIN}x of it asked, "
                 f"{'met' if private_seconds <= FLOOR_MARGIN * floor_seconds else 'not met'})"
                 if floor_seconds > TARGET_SECONDS else ""))
        cpu = (median["private"]["client"] + median["private"]["server"]) / 2
        print(f"  in CPU time, which a busy machine inflates least: private {cpu:.2f} s on 2 cores, "
              f"{cpu / floor_seconds:.2f}x the floor")
        print(f"  again, with the filter kept from the previous run: {again['wall']:.2f} s")
        body = published.json()
        size = len(base64.b64decode(body["prefixes"]))
        raw = body["count"] * OUTPUT_SIZE
        print(f"  filter: {size:,} bytes for {body['count']:,} opposed outputs (raw outputs {raw:,} bytes, "
              f"{raw / max(1, size):.0f}x larger); {len(published.content):,} bytes as JSON over HTTP")
        breakdown(cohort, min(args.cohort, 10_000))
        if not same:
            raise SystemExit("the private and ordinary cleaned files differ")


if __name__ == "__main__":
    main()
