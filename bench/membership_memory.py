"""Memory of the lookups' membership index per machine: one shared snapshot file against a copy
per gunicorn worker.

    .venv/bin/python -m bench.membership_memory [--count 10000000] [--workers 2,8]
                                                [--engines sqlite[,postgresql]] [--rounds 3]

Fills a database with ``--count`` oppositions (``bench.api_throughput.fill``) and an empty one,
then for each number of workers starts gunicorn three ways: the index shared through its
snapshot file (``REGISTRE_MEMBERSHIP_DIR``), the index private to each worker (the setting set
to "", the baseline), and the empty database (the Python processes alone). Each server is warmed
with batches of 10,000 mostly absent identifiers at one connection per worker, so that every
worker has read the whole index; then ``/proc/<pid>/smaps_rollup`` gives the RSS and PSS of the
master and of every worker. RSS counts a shared page in every process that maps it; PSS divides
it between them, so the sum of PSS is what the machine spends. The index's cost per machine is
that sum less the empty database's, beside the target: 150 MB for 10 M oppositions.

Last, batch lookup speed shared against private: (a) of ``bench.api_throughput`` with 2 workers,
in rounds alternating between the two servers, medians of ``--rounds``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ab_lookup import Tree  # noqa: E402
from bench.api_throughput import (BATCH, ROOT, batches_script, children, database_urls, fill,  # noqa: E402
                                  queries, wrk)

TARGET_MB_PER_10M = 150


def rollup(pid: int) -> tuple[float, float]:
    """RSS and PSS of a process, in MB."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return tuple(int(re.search(rf"^{name}:\s+(\d+) kB", text, re.M).group(1)) / 1024 for name in ("Rss", "Pss"))


def snapshot_pss(pid: int) -> float:
    """PSS of the snapshot files a process maps, in MB."""
    total, in_snapshot = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            in_snapshot = len(fields) >= 6 and fields[5].endswith(".idx")
        elif in_snapshot and fields[0] == "Pss:":
            total += int(fields[1])
    return total / 1024


class Server:
    """One gunicorn on one database, the index shared through ``membership_dir`` or private ("")."""

    def __init__(self, label: str, url: str, membership_dir: str, folder: Path) -> None:
        self.tree = Tree(label, ROOT, url, folder)
        self.tree.env["REGISTRE_MEMBERSHIP_DIR"] = membership_dir
        self.tree.env["GUNICORN_CMD_ARGS"] = "--timeout 600"  # a worker may wait long for the index at 10 M
        self.folder = folder

    def start(self, workers: int, query_list: list[str], seconds: int) -> None:
        token = self.tree.start(workers)
        self.script = batches_script(self.folder / f"batches-{self.tree.name}.lua", token, query_list)
        try:  # one connection per worker, so that every worker reads the whole index
            wrk(self.tree.base + "/api/v1/lookup", seconds, self.script, connections=workers)
        except RuntimeError:  # a slow answer on a busy machine: the pages were read all the same
            print(f"   ({self.tree.name}: a warming request timed out)", flush=True)

    def batch_rate(self, seconds: int) -> float:
        return BATCH * wrk(self.tree.base + "/api/v1/lookup", seconds, self.script, connections=4)[0]

    def memory(self) -> dict:
        master = self.tree.server.pid
        workers = children(master)
        return {"master": rollup(master), "workers": [rollup(pid) for pid in workers],
                "snapshot": sum(snapshot_pss(pid) for pid in workers)}

    def stop(self) -> None:
        self.tree.stop()


def total_pss(figures: dict) -> float:
    return figures["master"][1] + sum(pss for _, pss in figures["workers"])


def show(label: str, figures: dict) -> None:
    workers = figures["workers"]
    print(f"   {label:<26} master RSS {figures['master'][0]:6.0f} PSS {figures['master'][1]:6.0f} | workers RSS "
          + " ".join(f"{rss:.0f}" for rss, _ in workers) + " | PSS " + " ".join(f"{pss:.0f}" for _, pss in workers)
          + f" | machine (sum of PSS) {total_pss(figures):6.0f} MB", flush=True)


def run_engine(name: str, urls: dict[str, str], args, folder: Path) -> None:
    print(f"\n== {name}: filling {args.count:,} oppositions ...", flush=True)
    started = time.perf_counter()
    stored = fill(urls["full"], args.count)
    fill(urls["empty"], 0)
    print(f"   filled in {time.perf_counter() - started:.0f} s", flush=True)
    query_list = queries(stored, args.queries)
    del stored
    shared_dir = str(folder / "membership")
    target = TARGET_MB_PER_10M * args.count / 10_000_000
    for workers in args.workers:
        print(f"-- {workers} workers (MB)", flush=True)
        measured = {}
        for mode, url, directory in (("shared", urls["full"], shared_dir), ("private (baseline)", urls["full"], ""),
                                     ("empty database", urls["empty"], shared_dir)):
            server = Server(f"{mode.split()[0]}-{workers}", url, directory, folder)
            try:
                loading = time.perf_counter()
                server.start(workers, query_list, args.seconds)
                measured[mode] = server.memory()
                show(mode, measured[mode])
                if mode == "shared":
                    print(f"   {'':<26} started and warmed in {time.perf_counter() - loading:.0f} s; the snapshot "
                          f"file's pages in the workers' PSS: {measured[mode]['snapshot']:.0f} MB", flush=True)
            finally:
                server.stop()
        empty, shared, private = (total_pss(measured[mode]) for mode in ("empty database", "shared",
                                                                         "private (baseline)"))
        index = measured["shared"]["snapshot"]
        print(f"   the index per machine: shared {index:.0f} MB (its file's pages, in all the workers' PSS), "
              f"private (baseline) {private - shared + index:.0f} MB (that plus what the private machine spends "
              f"more), target at most {target:.0f} MB\n"
              f"   the rest: the Python processes alone (empty database) {empty:.0f} MB; the database's page cache "
              f"and the requests' buffers of real lookups {shared - empty - index:.0f} MB", flush=True)
    sizes = [path.stat().st_size for path in Path(shared_dir).glob("*.idx")]
    print(f"   the snapshot file of {args.count:,} oppositions: {max(sizes, default=0) / 2**20:.1f} MB", flush=True)
    servers = [Server(f"{mode}-speed", urls["full"], directory, folder)
               for mode, directory in (("shared", shared_dir), ("private", ""))]
    try:
        for server in servers:
            server.start(2, query_list, args.seconds)
        rates = {server.tree.name: [] for server in servers}
        for round_number in range(1, args.rounds + 1):
            for server in servers:
                rates[server.tree.name].append(server.batch_rate(args.seconds))
            print(f"   round {round_number}: " + ", ".join(f"{label} {values[-1]:,.0f} ids/s"
                                                       for label, values in rates.items()), flush=True)
        shared_rate, private_rate = (statistics.median(rates[server.tree.name]) for server in servers)
        print(f"(a) batches of 10,000 over HTTP, 2 workers: shared {shared_rate:,.0f} ids/s, private (baseline) "
              f"{private_rate:,.0f} ids/s = {shared_rate / private_rate:.0%}, medians of {args.rounds} alternating "
              f"rounds", flush=True)
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=400_000, help="identifiers sent in turn, warming and measuring")
    parser.add_argument("--workers", type=lambda v: [int(n) for n in v.split(",")], default=[2, 8])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default="sqlite")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")
    for name in args.engines.split(","):
        folder = Path(tempfile.mkdtemp(prefix="registre-membership-"))
        try:
            with database_urls(name, folder, ["full", "empty"]) as urls:
                run_engine(name, urls, args, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
