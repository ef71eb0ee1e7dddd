"""The lookup API through the cluster's proxy with two app nodes, beside one node, in the same run.

    .venv/bin/python -m bench.cluster_api [--seconds 10] [--count 200000]

Starts ``deploy/cluster`` in a temporary folder, files ``--count`` oppositions straight into its
database, then measures with ``wrk`` (concurrency 16, median of 3 rounds in rotating order):

* single-identifier lookups through HAProxy (TLS) with both app nodes;
* the same with ``app2`` stopped (HAProxy's check takes it out): one node behind the proxy;
* the same straight to ``app1`` (plain http on loopback, no proxy): what the proxy and TLS cost;
* batches of 10,000 identifiers through the proxy with two nodes and with one.

On 2 cores the two nodes share the same cores: expect no speed-up; the figures show what the
proxy, TLS and the shared state (Redis for limits and quotas) cost.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_throughput import BATCH, _wrk_post, batches_script, fill, queries, wrk  # noqa: E402
from bench.cluster_faults import LOAD_SETTINGS  # noqa: E402
from deploy.cluster import Cluster  # noqa: E402
from deploy.cluster_client import ClusterClient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="registre-cluster-api-"))
    cluster = Cluster(folder)
    cluster.up(LOAD_SETTINGS)
    try:
        client = ClusterClient(cluster)
        url = cluster.database_url()
        env_key = (cluster.path("keys", "identifier.key")).read_text().strip()
        stored = fill_with_key(url, args.count, env_key)
        token = client.token(client.create_warehouse("EDS banc API"))
        single = folder / "single.lua"
        single.write_text(_wrk_post(token) + "wrk.body = "
                          + json.dumps(json.dumps({"purpose": "research", "identifiers": [stored[0]]})) + "\n")
        batches = batches_script(folder / "batches.lua", token, queries(stored, 100_000))
        targets = {"proxy, 2 nodes": client.public, "proxy, 1 node": client.public,
                   "app1 direct": client.node_url("app1")}
        figures = {(name, kind): [] for name in targets for kind in ("single", "batch")}
        order = list(targets)
        for round_ in range(3):
            for name in order[round_:] + order[:round_]:
                if name == "proxy, 1 node":
                    cluster.ctl("stop", "app2")
                    time.sleep(2)  # the proxy's check (every 0.5 s, 2 failures) takes it out
                figures[(name, "single")].append(wrk(targets[name] + "/api/v1/lookup", args.seconds, single))
                figures[(name, "batch")].append(wrk(targets[name] + "/api/v1/lookup", args.seconds, batches,
                                                    connections=4))
                if name == "proxy, 1 node":
                    cluster.ctl("start", "app2")
                    time.sleep(3)
        print(f"\nsingle lookups, concurrency 16, and batches of {BATCH:,} (4 connections), median of 3")
        for name in targets:
            one = figures[(name, "single")]
            many = figures[(name, "batch")]
            print(f"{name:16} single {statistics.median(r[0] for r in one):>7,.0f} req/s  "
                  f"p50 {statistics.median(r[1] for r in one):.2f} ms  p99 {statistics.median(r[2] for r in one):.2f} ms"
                  f"   batches {BATCH * statistics.median(r[0] for r in many):>10,.0f} ids/s")
    finally:
        cluster.down(purge=True)


def fill_with_key(url: str, count: int, key_line: str) -> list[str]:
    """``count`` oppositions filed straight into the cluster's database under its identifier key."""
    import bench.api_throughput as api
    import bench.lookup_throughput as lookups
    from registry.keys import parse_key

    lookups.KEY = api.KEY = parse_key(key_line, name="cluster")
    return fill(url, count)


if __name__ == "__main__":
    main()
