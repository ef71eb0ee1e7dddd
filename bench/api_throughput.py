"""The lookup API over HTTP: gunicorn with 2 sync workers on 127.0.0.1, a real load generator.

    .venv/bin/python -m bench.api_throughput [--count 5000000] [--engines sqlite,postgresql]
                                             [--job-lines 10000000] [--parts a,b,c]

Fills a database with ``--count`` oppositions (``fill``), starts gunicorn on a free port, then:

(a) batches of 10,000 identifiers per request with ``wrk`` (4 connections, the query list's
    batches in turn): identifiers/s (the median of 3 measures), beside the bare in-process
    validate + hash + check loop (``lookup_batch`` on the same database, median of 3) of the
    same run; then the same batches each naming a data permit the warehouse holds, measured in
    rounds interleaved with the plain ones (single runs vary by a third on a 2-core machine);
(b) single-identifier lookups at concurrency 16 with ``wrk`` (Debian package): requests/s, p50 and
    p99, beside the app's no-op endpoint measured the same way in rounds interleaved with them
    (medians of 3), and the targets (75 % of the no-op, p99 at most 10 ms); then the CPU each
    request cost the gunicorn workers, the database's server processes and wrk (on a machine
    whose cores are all busy, the ratio of the totals bounds the ratio of the requests/s);
(c) a ``--job-lines`` bulk job through the Huey worker, 3 times: seconds from the upload's start
    to done (the median), beside the bare in-process validate + hash + check loop on one core over
    the same lines (``lookup_batch``, timed on at most 1 M of them and scaled) and the target
    (``JOB_TARGETS``); and the peak resident memory (VmHWM) of every server process (gunicorn
    workers and the job worker, and the job worker's checking processes, read while they run)
    beside the 400 MB target.

One identifier in 20 of the queries is opposed, one in 10 written with spaces, one in 1,000 invalid.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.lookup_throughput import KEY, store, synthetic_identifiers  # noqa: E402
from registry.db import create_database_engine, upgrade_database  # noqa: E402
from registry.hashing import IdentifierHasher  # noqa: E402
from registry.keyring import Keyring  # noqa: E402
from registry.keys import SecretKey  # noqa: E402
from registry.lookups import lookup_batch  # noqa: E402
from registry.membership import membership_index  # noqa: E402
from registry.oprf import OprfEvaluator  # noqa: E402
from registry.purposes import Purpose  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OPRF = SecretKey("bench-oprf", b"\x43" * 32)
BATCH = 10_000
PERMIT = "HDH-BENCH-1"
JOB_TARGETS = {"sqlite": 12.0, "postgresql": 15.0}  # seconds for 10 M lines (issue 22)
JOB_MEMORY_TARGET = 400  # MB per process
SINGLE_TARGET, SINGLE_P99_TARGET = 0.75, 10.0  # share of the no-op's requests/s; ms


def fill(url: str, count: int) -> list[str]:
    """A migrated database holding ``count`` oppositions (all purposes); returns their numbers."""
    engine = create_database_engine(url)
    upgrade_database(engine)
    stored = synthetic_identifiers(count, 0)
    for start in range(0, count, 500_000):
        store(engine, IdentifierHasher(KEY), stored[start:start + 500_000])
    if engine.dialect.name == "postgresql":
        # what autovacuum and the checkpointer would do next after a bulk load, done before the
        # measures rather than in the middle of them
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) subjects")
            connection.exec_driver_sql("CHECKPOINT")
    engine.dispose()
    os.sync()  # and the system's write-back of the loaded files, likewise
    return stored


def queries(stored: list[str], count: int) -> list[str]:
    absent = synthetic_identifiers(count, 20_000_000)
    result = [stored[i * 7919 % len(stored)] if i % 20 == 0 else absent[i] for i in range(count)]
    for i in range(0, count, 10):
        v = result[i]
        result[i] = f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"
    for i in range(7, count, 1000):
        result[i] = result[i][:-2] + ("00" if result[i][-2:] != "00" else "01")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str, instance: Path) -> dict:
    return {**os.environ, "REGISTRE_ENV_NAME": "development", "REGISTRE_DATABASE_URL": url,
            "REGISTRE_INSTANCE_PATH": str(instance),
            "REGISTRE_IDENTIFIER_KEY": f"{KEY.key_id}:{KEY.secret.hex()}",
            "REGISTRE_OPRF_KEY": f"{OPRF.key_id}:{OPRF.secret.hex()}",
            "REGISTRE_API_RATE_LIMIT": "100000000 per minute", "REGISTRE_API_NOOP_ENDPOINT": "true",
            "REGISTRE_JOBS_MAX_BYTES": str(8 * 1024**3)}


def wait_up(base: str) -> None:
    for _ in range(200):
        try:
            if requests.get(base + "/api/v1/health", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _wrk_post(token: str) -> str:
    """The start of a wrk script that posts JSON with ``token``."""
    return ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {token}"\n')


def batches_script(path: Path, token: str, query_list: list[str], permit: str | None = None) -> Path:
    """A wrk script that sends the query list as batches of ``BATCH``, in turn: each wrk thread
    starts at a different batch, and every request carries a whole batch (a JSON body of about
    250 kB)."""
    named = {} if permit is None else {"permit": permit}
    bodies = [json.dumps({"purpose": "research", **named, "identifiers": query_list[i:i + BATCH]})
              for i in range(0, len(query_list), BATCH)]
    path.write_text(
        _wrk_post(token)
        + "local bodies = {\n" + ",\n".join(f"[==[{body}]==]" for body in bodies) + "\n}\n"
        "local threads = 0\n"
        "function setup(thread) thread:set('turn', threads * 7); threads = threads + 1 end\n"
        "function request() turn = turn % #bodies + 1; return wrk.format(nil, nil, nil, bodies[turn]) end\n")
    return path


def in_process_rate(url: str, query_list: list[str], repeat: int = 3) -> float:
    engine = create_database_engine(url)
    keyring = Keyring(IdentifierHasher(KEY), OprfEvaluator(OPRF))
    membership_index(engine).preload()  # loaded before the clock starts, as in a server's warm-up
    rates = []
    for _ in range(repeat):
        started = time.perf_counter()
        with Session(engine) as session:
            for i in range(0, len(query_list), BATCH):
                lookup_batch(session, keyring, query_list[i:i + BATCH], Purpose.RESEARCH)
        rates.append(len(query_list) / (time.perf_counter() - started))
    engine.dispose()
    return statistics.median(rates)


def wrk(url: str, seconds: int, script: Path | None = None, connections: int = 16) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) of ``wrk`` with 2 threads; fails if an answer was not 2xx, a
    connection failed or a request timed out."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def pct(name):
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    failed = re.search(r"Socket errors: connect (\d+), read \d+, write \d+, timeout (\d+)", output)
    if "Non-2xx" in output or (failed and any(map(int, failed.groups()))):
        raise RuntimeError("wrk saw errors:\n" + output)
    return rps, pct("50"), pct("99")


def cpu_seconds(pids) -> float:
    """User and system CPU time used so far by the processes ``pids`` (those gone count 0)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def database_backends(url: str) -> list[int]:
    """The server processes serving ``url``'s database (PostgreSQL); none for SQLite."""
    engine = create_database_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return []
        with engine.connect() as connection:
            return list(connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
                .scalars())
    finally:
        engine.dispose()


def costed(costs: list, servers: dict[str, list[int]], measure, *args, **kwargs):
    """``measure(*args)`` (a wrk run), noting in ``costs`` the CPU microseconds per request it took
    in each group of ``servers``' processes, in wrk itself and in total."""
    before = {name: cpu_seconds(pids) for name, pids in servers.items()}
    own = os.times()
    result = measure(*args, **kwargs)
    after = os.times()
    requests_made = result[0] * args[1]  # requests/s times the seconds measured
    cost = {name: (cpu_seconds(pids) - before[name]) * 1e6 / requests_made for name, pids in servers.items()}
    cost["wrk"] = (after.children_user + after.children_system - own.children_user - own.children_system) \
        * 1e6 / requests_made
    cost["total"] = sum(cost.values())
    costs.append(cost)
    return result


def peak_rss_mb(pids) -> dict[int, float]:
    peaks = {}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        if peak := re.search(r"VmHWM:\s+(\d+)", text):  # none in a process already exiting
            peaks[pid] = int(peak.group(1)) / 1024
    return peaks


def children(pid: int) -> list[int]:
    """The child processes of ``pid``, whichever of its threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return found


def write_cohort(path: Path, stored: list[str], lines: int) -> None:
    absent = synthetic_identifiers(min(lines, 1_000_000), 40_000_000)
    with open(path, "w") as target:
        target.write("nir\n")
        for start in range(0, lines, len(absent)):
            block = []
            for i in range(start, min(lines, start + len(absent))):
                block.append(stored[i % len(stored)] if i % 20 == 0 else absent[i % len(absent)])
            target.write("\n".join(block) + "\n")


def run_engine(name: str, url: str, args, folder: Path) -> None:
    print(f"\n== {name}: filling {args.count:,} oppositions ...", flush=True)
    started = time.perf_counter()
    stored = fill(url, args.count)
    print(f"   filled in {time.perf_counter() - started:.0f} s", flush=True)
    query_list = queries(stored, args.queries)
    instance = folder / "instance"
    env = server_env(url, instance)
    flask = [str(BIN / "flask"), "--app", "wsgi", "registry"]
    credentials = json.loads(subprocess.run([*flask, "create-warehouse", "Bench", "--json"], env=env, cwd=ROOT,
                                            capture_output=True, text=True, check=True).stdout)
    subprocess.run([*flask, "permits", "create", PERMIT, "--title", "Bench cohort", "--issuing-body", "Health Data Hub",
                    "--purpose", "research", "--starts", "2026-01-01", "--ends", "2099-12-31",
                    "--url", "https://example.org/bench", "--holder", credentials["client_id"]],
                   env=env, cwd=ROOT, capture_output=True, check=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
                                 "warning", "wsgi:app"], env=env, cwd=ROOT)
    try:
        wait_up(base)
        token = requests.post(base + "/api/v1/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
        if "a" in args.parts:
            baseline = in_process_rate(url, query_list)
            plain = batches_script(folder / "batches.lua", token, query_list)
            permitted = batches_script(folder / "permit.lua", token, query_list, permit=PERMIT)
            rates = {plain: [], permitted: []}
            for _ in range(3):
                for script in rates:
                    rates[script].append(BATCH * wrk(base + "/api/v1/lookup", args.seconds, script, connections=4)[0])
            rate, under_permit = (statistics.median(rates[script]) for script in (plain, permitted))
            print(f"(a) batches of 10,000 over HTTP   {rate:>10,.0f} ids/s   "
                  f"baseline in-process validate+hash+check {baseline:,.0f} ids/s (one core)\n"
                  f"    the same, each naming a permit {under_permit:>9,.0f} ids/s   = {under_permit / rate:.0%} "
                  f"of without, in the same rounds", flush=True)
        if "b" in args.parts:
            script = folder / "single.lua"
            body = json.dumps({"purpose": "research", "identifiers": [query_list[0]]})
            script.write_text(_wrk_post(token) + f"wrk.body = {json.dumps(body)}\n")
            wrk(base + "/api/v1/lookup", 1, script)  # each worker opens its database connections
            servers = {"workers": children(gunicorn.pid), "database": database_backends(url)}
            costs = {"noop": [], "lookup": []}
            rounds = [(costed(costs["noop"], servers, wrk, base + "/api/v1/noop", args.seconds),
                       costed(costs["lookup"], servers, wrk, base + "/api/v1/lookup", args.seconds, script))
                      for _ in range(3)]
            noop, single = ([statistics.median(measure[i] for measure in column) for i in range(3)]
                            for column in zip(*rounds))
            ratio = statistics.median(one[0] / zero[0] for zero, one in rounds)
            print(f"(b) single lookups, concurrency 16 {single[0]:>9,.0f} req/s  p50 {single[1]:.2f} ms  "
                  f"p99 {single[2]:.2f} ms (target <= {SINGLE_P99_TARGET:g} ms)  = {ratio:.0%} of the no-op "
                  f"endpoint (target >= {SINGLE_TARGET:.0%}; no-op {noop[0]:,.0f} req/s, p50 {noop[1]:.2f} ms, "
                  f"p99 {noop[2]:.2f} ms; medians of 3 interleaved rounds)", flush=True)
            spent = {name: {part: statistics.median(cost[part] for cost in measured) for part in measured[0]}
                     for name, measured in costs.items()}
            print("    CPU per request (medians): " + ";  ".join(
                f"{name} " + ", ".join(f"{part} {us:.0f} us" for part, us in parts.items())
                for name, parts in spent.items())
                + f";  no-op's total / lookup's = {spent['noop']['total'] / spent['lookup']['total']:.0%} "
                "(the share a machine whose cores are all busy can reach)", flush=True)
        if "c" in args.parts:
            run_job_rounds(name, url, args, folder, stored, flask, env, base, token, gunicorn)
    finally:
        gunicorn.terminate()
        gunicorn.wait()


def run_job_rounds(name, url, args, folder, stored, flask, env, base, token, gunicorn) -> None:
    """(c): the same job 3 times through one job worker, then the figures beside the baseline."""
    cohort = folder / "cohort.csv"
    write_cohort(cohort, stored, args.job_lines)
    with open(cohort) as lines:
        sample = [line.rstrip("\n") for line in itertools.islice(lines, 1, min(args.job_lines, 1_000_000) + 1)]
    baseline = args.job_lines / in_process_rate(url, sample, repeat=1)
    del sample
    worker = subprocess.Popen([*flask, "jobs-worker", "--workers", "1"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        while "put back on the queue" not in worker.stdout.readline():  # started, as a worker in service is
            if worker.poll() is not None:
                raise RuntimeError("the job worker did not start")
        totals, uploads, checkers = [], [], {}
        for _ in range(3):
            started = time.perf_counter()
            with open(cohort, "rb") as body:
                job = requests.post(base + "/api/v1/jobs?purpose=research", data=body,
                                    headers={**headers, "Content-Type": "text/csv"}).json()
            uploads.append(time.perf_counter() - started)
            while (status := requests.get(base + f"/api/v1/jobs/{job['id']}", headers=headers).json())["status"] \
                    not in ("done", "failed"):
                checkers.update(peak_rss_mb(children(worker.pid)))  # the processes checking the chunks
                time.sleep(0.1)
            totals.append(time.perf_counter() - started)
            if status["status"] != "done":
                raise RuntimeError(f"the job {status['status']}")
        peaks = peak_rss_mb([*children(gunicorn.pid), gunicorn.pid, worker.pid])
    finally:
        worker.terminate()
        worker.wait()
    target = JOB_TARGETS.get(name, 0) * args.job_lines / 10_000_000
    print(f"(c) {args.job_lines:,}-line job, upload start to done: {statistics.median(totals):.1f} s (runs "
          + ", ".join(f"{t:.1f}" for t in totals) + f"; upload {statistics.median(uploads):.1f} s)   target "
          f"<= {target:.1f} s (at 10 M lines: {JOB_TARGETS.get(name, 0):g} s, scaled)   "
          f"baseline in-process validate+hash+check on one core {baseline:.1f} s\n"
          f"    counts {status['counts']}; peak RSS per server process (target <= {JOB_MEMORY_TARGET} MB): "
          + ", ".join(f"{mb:.0f} MB" for mb in peaks.values())
          + f"; the job worker's checking processes at most {max(checkers.values(), default=0):.0f} MB", flush=True)


@contextlib.contextmanager
def database_urls(engine: str, folder: Path, names: list[str]):
    """One empty database per name on ``engine``: SQLite files in ``folder``, or databases of a
    throwaway PostgreSQL cluster stopped on leaving."""
    if engine != "postgresql":
        yield {name: f"sqlite:///{folder}/{name}.db" for name in names}
        return
    import psycopg

    from tests.postgres_cluster import PostgresCluster, find_pg_bin

    cluster = PostgresCluster(find_pg_bin())
    cluster.start()
    try:
        with psycopg.connect(cluster.url().replace("postgresql+psycopg", "postgresql"), autocommit=True) as admin:
            for name in names:
                admin.execute(f"CREATE DATABASE {name}")
        yield {name: cluster.url(name) for name in names}
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000_000)
    parser.add_argument("--queries", type=int, default=200_000)
    parser.add_argument("--job-lines", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--parts", default="a,b,c")
    args = parser.parse_args()
    if shutil.which("wrk") is None and "b" in args.parts:
        raise SystemExit("(b) needs wrk: apt-get install wrk")
    for name in args.engines.split(","):
        folder = Path(tempfile.mkdtemp(prefix="registre-bench-"))
        try:
            with database_urls(name, folder, ["bench"]) as urls:
                run_engine(name, urls["bench"], args, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
