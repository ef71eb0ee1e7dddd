"""Benchmarks (a) and (b) of the lookup API, this tree against an earlier commit, in alternating
rounds (single runs vary by a third on a 2-core machine; alternating rounds vary together).

    .venv/bin/python -m bench.ab_lookup --base <commit> [--count 1000000] [--rounds 3]
                                        [--seconds 10] [--engines sqlite,postgresql]

The base commit is checked out in a temporary worktree. Each tree fills its own database with
its own code (same ``--count`` oppositions, same queries), and runs its own gunicorn (2 sync
workers); then each round measures (a) batches of 10,000 and (b) single lookups at concurrency 16
on the base, then on this tree. Prints each round and the medians, with this tree's figure as a
share of the base's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_throughput import (BATCH, BIN, ROOT, _wrk_post, batches_script, database_urls,  # noqa: E402
                                  free_port, queries, server_env, wait_up, wrk)

import requests  # noqa: E402

FILL = ("import json, sys; from bench.api_throughput import fill; "
        "print(json.dumps(fill(sys.argv[1], int(sys.argv[2]))))")


class Tree:
    """One source tree serving the API on its own database."""

    def __init__(self, name: str, path: Path, url: str, folder: Path) -> None:
        self.name, self.path, self.url = name, path, url
        self.env = {**server_env(url, folder / f"instance-{name}"), "PYTHONPATH": str(path)}
        self.server: subprocess.Popen | None = None

    def fill(self, count: int) -> list[str]:
        done = subprocess.run([sys.executable, "-c", FILL, self.url, str(count)], env=self.env, cwd=self.path,
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    def start(self, workers: int = 2) -> str:
        flask = [str(BIN / "flask"), "--app", "wsgi", "registry"]
        credentials = json.loads(subprocess.run([*flask, "create-warehouse", f"AB {self.name}", "--json"],
                                                env=self.env, cwd=self.path, capture_output=True, text=True,
                                                check=True).stdout)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.server = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
                                        "warning", "wsgi:app"], env=self.env, cwd=self.path)
        wait_up(self.base)
        return requests.post(self.base + "/api/v1/token", data={"grant_type": "client_credentials"},
                             auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait()


def run_engine(name: str, urls: dict[str, str], trees: dict[str, Path], args, folder: Path) -> None:
    print(f"\n== {name}: {args.count:,} oppositions in each tree's database", flush=True)
    servers = {label: Tree(label, path, urls[label], folder) for label, path in trees.items()}
    try:
        stored = None
        for tree in servers.values():
            stored = tree.fill(args.count)
        query_list = queries(stored, args.queries)
        scripts = {}
        for label, tree in servers.items():
            token = tree.start()
            single = folder / f"single-{label}.lua"
            body = json.dumps({"purpose": "research", "identifiers": [query_list[0]]})
            single.write_text(_wrk_post(token) + f"wrk.body = {json.dumps(body)}\n")
            scripts[label] = (batches_script(folder / f"batches-{label}.lua", token, query_list), single)
        figures = {label: {"a": [], "b": [], "p99": []} for label in servers}
        for round_number in range(1, args.rounds + 1):
            for label, tree in servers.items():
                batches, single = scripts[label]
                a = BATCH * wrk(tree.base + "/api/v1/lookup", args.seconds, batches, connections=4)[0]
                b, _, p99 = wrk(tree.base + "/api/v1/lookup", args.seconds, single)
                figures[label]["a"].append(a)
                figures[label]["b"].append(b)
                figures[label]["p99"].append(p99)
                print(f"   round {round_number} {label:>4}: (a) {a:>10,.0f} ids/s   (b) {b:>7,.0f} req/s "
                      f"p99 {p99:.2f} ms", flush=True)
        base, head = ({key: statistics.median(values) for key, values in figures[label].items()}
                      for label in ("base", "head"))
        print(f"   median  base: (a) {base['a']:>10,.0f} ids/s   (b) {base['b']:>7,.0f} req/s p99 {base['p99']:.2f} ms")
        print(f"   median  head: (a) {head['a']:>10,.0f} ids/s   (b) {head['b']:>7,.0f} req/s p99 {head['p99']:.2f} ms")
        print(f"   head / base:  (a) {head['a'] / base['a']:.0%}   (b) {head['b'] / base['b']:.0%}", flush=True)
    finally:
        for tree in servers.values():
            tree.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="registre-ab-"))
    worktree = folder / "base"
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.base], cwd=ROOT, check=True,
                   capture_output=True)
    os.symlink(ROOT / "node_modules", worktree / "node_modules")
    trees = {"base": worktree, "head": ROOT}
    try:
        for name in args.engines.split(","):
            with database_urls(name, folder, [f"ab_{label}" for label in trees]) as urls:
                run_engine(name, {label: urls[f"ab_{label}"] for label in trees}, trees, args, folder)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
