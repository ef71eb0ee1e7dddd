"""Faults on a production-shaped cluster, under a steady mix of work, loopback only.

    .venv/bin/python -m bench.cluster_faults [--phase-seconds 12] [--dir FOLDER]

Starts ``deploy/cluster`` in a temporary folder (or uses the one running in ``--dir``), then runs,
for a bounded time and count, citizen filings through the real sign-in (two threads), an agent's
counter filings (one), lookups (three) and a bulk job per phase, all through the TLS proxy.
Five phases of ``--phase-seconds``: a quiet one, then one per fault, injected 2 s into its phase:
SIGKILL to ``app1``, to ``app2``, to the job ``worker``, and finally to the PostgreSQL primary
with the standby promoted at once (``deploy/cluster failover``).

It prints requests answered, errors by kind, the longest gap between two successful requests of
each kind in each phase (the unavailability the fault caused), the jobs finished, then checks,
once the load stops: every acknowledged filing is opposed on every node (must be all), lookups
that missed an opposition acknowledged before they started (must be 0), and ``verify-audit``.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from deploy.cluster import Cluster  # noqa: E402
from deploy.cluster_client import Citizen, ClusterClient  # noqa: E402

AGENT, PASSWORD = "agent.bench@sante.gouv.fr", "un mot de passe de banc d'essai"
FAULTS = ("none", "app1", "app2", "worker", "primary")
# The load comes from one address and one warehouse: production's per-address and per-client
# limits would refuse most of it (they are tested elsewhere), so the bench raises them.
LOAD_SETTINGS = {f"REGISTRE_{name}_RATE_LIMIT": "1000000 per minute" for name in ("API", "LOGIN", "FILING", "TOKEN")}
JOB_LINES = 200_000


@dataclass
class Ledger:
    """Everything the load saw, shared by its threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    successes: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter = field(default_factory=collections.Counter)
    acknowledged: dict[str, float] = field(default_factory=dict)  # NIR -> when its filing was acknowledged
    stale: int = 0
    checked: int = 0
    jobs: collections.Counter = field(default_factory=collections.Counter)

    def ok(self, kind: str) -> None:
        with self.lock:
            self.successes[kind].append(time.monotonic())

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[(kind, what)] += 1

    def acknowledge(self, nir: str) -> None:
        with self.lock:
            self.acknowledged.setdefault(nir, time.monotonic())


def attempt(ledger: Ledger, kind: str, call, expected: int) -> requests.Response | None:
    try:
        answer = call()
    except requests.Timeout:
        ledger.error(kind, "timeout")
        return None
    except requests.ConnectionError:
        ledger.error(kind, "connection")
        return None
    if answer.status_code != expected:
        ledger.error(kind, f"http_{answer.status_code}")
        return None
    ledger.ok(kind)
    return answer


def citizen_filings(client: ClusterClient, people: list[Citizen], ledger: Ledger, stop: threading.Event) -> None:
    while not stop.is_set():
        for person in people:
            if stop.is_set():
                return
            http = client.session()
            if attempt(ledger, "citizen sign-in", lambda: client.sign_in(http, person.sub), 302) is None:
                time.sleep(0.1)
                continue
            if attempt(ledger, "citizen filing", lambda: client.file_self(http, person.nir), 303) is not None:
                ledger.acknowledge(person.nir)


def agent_filings(client: ClusterClient, people: list[Citizen], ledger: Ledger, stop: threading.Event) -> None:
    http = client.session()
    signed_in = False
    while not stop.is_set():
        for person in people:
            if stop.is_set():
                return
            if not signed_in:
                signed_in = attempt(ledger, "agent sign-in", lambda: client.agent_sign_in(http, AGENT, PASSWORD),
                                    302) is not None
                if not signed_in:
                    time.sleep(1)
                    continue
            if attempt(ledger, "agent filing", lambda: client.agent_files(http, person), 302) is not None:
                ledger.acknowledge(person.nir)


def lookups(client: ClusterClient, token: str, ledger: Ledger, stop: threading.Event, seed: int) -> None:
    chance = random.Random(seed)
    http = client.session()
    while not stop.is_set():
        with ledger.lock:
            known = list(ledger.acknowledged)  # acknowledged before this lookup starts
        sample = chance.sample(known, min(len(known), 50))
        if not sample:
            time.sleep(0.1)
            continue
        answer = attempt(ledger, "lookup", lambda: client.lookup(token, sample, http=http), 200)
        if answer is not None:
            missed = sum(not result["opposed"] for result in answer.json()["results"])
            with ledger.lock:
                ledger.stale += missed
                ledger.checked += len(sample)


def bulk_job(client: ClusterClient, token: str, body: bytes, ledger: Ledger, deadline: float) -> None:
    answer = attempt(ledger, "job upload", lambda: client.send_job(token, body), 202)
    if answer is None:
        ledger.jobs["not sent"] += 1
        return
    job_id = answer.json()["id"]
    while time.monotonic() < deadline:
        try:
            status = client.job(token, job_id)["status"]
        except (requests.RequestException, ValueError):
            time.sleep(0.5)
            continue
        if status in ("done", "failed"):
            ledger.jobs[status] += 1
            return
        time.sleep(0.5)
    ledger.jobs["unfinished"] += 1


def longest_gap(times: list[float], start: float, end: float) -> float:
    inside = [t for t in times if start <= t <= end]
    points = [start, *inside, end]
    return max(b - a for a, b in zip(points, points[1:]))


def run(cluster: Cluster, phase_seconds: float) -> int:
    client = ClusterClient(cluster, timeout=20)
    client.create_agent(AGENT, PASSWORD)
    token = client.token(client.create_warehouse("EDS banc de pannes"))
    people = client.citizens()
    ledger, stop = Ledger(), threading.Event()
    body = "".join(people[n % len(people)].nir + "\n" for n in range(JOB_LINES)).encode()
    threads = [threading.Thread(target=citizen_filings, args=(client, people[i:100:2], ledger, stop)) for i in (0, 1)]
    threads.append(threading.Thread(target=agent_filings, args=(client, people[100:], ledger, stop)))
    threads += [threading.Thread(target=lookups, args=(client, token, ledger, stop, seed)) for seed in range(3)]
    jobs: list[threading.Thread] = []
    phases = []
    for thread in threads:
        thread.start()
    try:
        for fault in FAULTS:
            start = time.monotonic()
            job = threading.Thread(target=bulk_job, args=(client, token, body, ledger, start + 10 * phase_seconds))
            job.start()
            jobs.append(job)
            time.sleep(2)
            injected = time.monotonic()
            if fault == "primary":
                cluster.failover()
            elif fault != "none":
                cluster.kill(fault)
            time.sleep(max(0.0, phase_seconds - (time.monotonic() - start)))
            phases.append((fault, injected, time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    for job in jobs:
        job.join()

    print(f"\n{'phase':10} " + " ".join(f"{kind:>16}" for kind in ("citizen filing", "agent filing", "lookup")))
    for fault, injected, end in phases:
        gaps = [longest_gap(ledger.successes[kind], injected, end)
                for kind in ("citizen filing", "agent filing", "lookup")]
        print(f"{fault:10} " + " ".join(f"{gap:15.2f}s" for gap in gaps) + "   (longest gap between successes)")
    print("\nrequests answered:", {kind: len(times) for kind, times in sorted(ledger.successes.items())})
    print("errors by kind:   ", dict(sorted(ledger.errors.items())) or "none")
    print("bulk jobs:        ", dict(ledger.jobs))

    acknowledged = list(ledger.acknowledged)
    found = {}
    for node in ("app1", "app2"):
        opposed = 0
        for i in range(0, len(acknowledged), 500):
            answer = client.lookup(token, acknowledged[i:i + 500], base=client.node_url(node))
            answer.raise_for_status()
            opposed += sum(result["opposed"] for result in answer.json()["results"])
        found[node] = opposed
    verified = cluster.flask("registry", "verify-audit").strip().splitlines()
    lost = len(acknowledged) - min(found.values())
    print(f"acknowledged filings: {len(acknowledged)}; found afterwards on app1 {found['app1']}, app2 {found['app2']}"
          f" (lost: {lost})")
    print(f"lookups' answers about acknowledged oppositions: {ledger.checked}; stale (missed): {ledger.stale}")
    print("verify-audit:", verified[-1] if verified else "(no output)")
    return 0 if lost == 0 and ledger.stale == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase-seconds", type=float, default=12.0)
    parser.add_argument("--dir", help="a folder for the cluster (default: a temporary one, deleted after)")
    args = parser.parse_args()
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="registre-faults-"))
    cluster = Cluster(folder)
    started = time.monotonic()
    cluster.up(LOAD_SETTINGS)
    print(f"cluster up in {time.monotonic() - started:.1f} s")
    try:
        status = run(cluster, args.phase_seconds)
    finally:
        cluster.down(purge=not args.dir)
    sys.exit(status)


if __name__ == "__main__":
    main()
