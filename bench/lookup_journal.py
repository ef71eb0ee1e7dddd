"""What the lookups' journal costs on the single-lookup path: no journal, the journal (each
record one ``write(2)``, which survives ``kill -9`` of the process) and the journal fsync-ed at
every record (which survives the machine's crash), in the same run.

    .venv/bin/python -m bench.lookup_journal [--count 200000] [--seconds 10] [--engines sqlite,postgresql]

For each engine: one database of ``--count`` oppositions, then gunicorn (2 workers) started once
per mode, three rounds in rotating order; single-identifier lookups of an opposed person (so each call
journals a sighting) at concurrency 16 with ``wrk``. Prints the median requests/s, p50 and p99 of
each mode, and each as a share of the no-journal figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.api_throughput import BIN, ROOT, _wrk_post, fill, free_port, server_env, wait_up, wrk  # noqa: E402

MODES = {"no journal": {"REGISTRE_API_RECORD_JOURNAL": ""},
         "journal": {},
         "journal + fsync": {"REGISTRE_API_RECORD_JOURNAL_SYNC": "true"}}


def measure(env: dict, seconds: int, body: str, credentials: dict, folder: Path) -> tuple[float, float, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                               "wsgi:app"], env=env, cwd=ROOT)
    try:
        wait_up(base)
        token = requests.post(base + "/api/v1/token", data={"grant_type": "client_credentials"}, timeout=30,
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
        script = folder / "single.lua"
        script.write_text(_wrk_post(token) + f"wrk.body = {json.dumps(body)}\n")
        return wrk(base + "/api/v1/lookup", seconds, script)
    finally:
        server.terminate()
        server.wait()


def run_engine(name: str, url: str, args, folder: Path) -> None:
    stored = fill(url, args.count)
    env = server_env(url, folder / "instance")
    env["REGISTRE_API_RECORD_JOURNAL"] = str(folder / "journal")
    credentials = json.loads(subprocess.run([str(BIN / "flask"), "--app", "wsgi", "registry", "create-warehouse",
                                             "Bench", "--json"], env=env, cwd=ROOT, capture_output=True, text=True,
                                            check=True).stdout)
    body = json.dumps({"purpose": "research", "identifiers": [stored[0]]})
    figures = {mode: [] for mode in MODES}
    order = list(MODES)
    for round_ in range(3):  # each round in another order, so that a drift of the machine is shared
        for mode in order[round_:] + order[:round_]:
            figures[mode].append(measure({**env, **MODES[mode]}, args.seconds, body, credentials, folder))
    base = statistics.median(f[0] for f in figures["no journal"])
    print(f"\n== {name}: single lookups of an opposed person, concurrency 16, median of 3")
    for mode, runs in figures.items():
        rps = statistics.median(r[0] for r in runs)
        print(f"{mode:16} {rps:>8,.0f} req/s  p50 {statistics.median(r[1] for r in runs):.2f} ms  "
              f"p99 {statistics.median(r[2] for r in runs):.2f} ms  = {rps / base:.0%} of no journal", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="registre-journal-bench-") as tmp:
        folder = Path(tmp)
        if "sqlite" in args.engines:
            (folder / "sqlite").mkdir()
            run_engine("SQLite", f"sqlite:///{folder / 'sqlite' / 'registre.db'}", args, folder / "sqlite")
        if "postgresql" in args.engines:
            from tests.postgres_cluster import PostgresCluster, find_pg_bin

            (folder / "pg").mkdir()
            cluster = PostgresCluster(find_pg_bin())
            cluster.start()
            try:
                run_engine("PostgreSQL", cluster.url(), args, folder / "pg")
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
