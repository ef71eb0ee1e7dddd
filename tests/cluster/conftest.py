"""A ``deploy/cluster`` for the tests: started once per module in a temporary folder (PostgreSQL
primary and synchronous standby, Redis, two gunicorn nodes, a worker, HAProxy, supervisord), and
only in the SQLite pass of ``./test`` (these tests carry no ``db`` mark: the cluster is
PostgreSQL whatever ``--db`` says). Where haproxy or PostgreSQL is missing they are skipped on a
workstation and fail in CI."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from deploy.cluster import Cluster, pg_bin
from deploy.cluster_client import ClusterClient


def _require_engines() -> None:
    missing = [name for name, found in (("haproxy", shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()),
                                        ("redis-server", shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()))
               if not found]
    try:
        pg_bin()
    except SystemExit:
        missing.append("postgresql")
    if missing:
        message = "the cluster needs " + ", ".join(missing) + " (apt-get install " + " ".join(missing) + ")"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def cluster():
    _require_engines()
    # outside pytest's private temporary folder: the postgres user must reach its data folders
    running = Cluster(Path(tempfile.mkdtemp(prefix="registre-cluster-")))
    try:
        running.up({})
        yield running
    finally:
        running.down(purge=True)


@pytest.fixture(scope="module")
def cluster_client(cluster) -> ClusterClient:
    return ClusterClient(cluster)


def wait_until(condition, what: str, attempts: int = 1200, pause: float = 0.1):
    """Poll ``condition`` however slow the machine is (no time is asserted); its last value."""
    for _ in range(attempts):
        if value := condition():
            return value
        time.sleep(pause)
    value = condition()
    assert value, f"{what} never happened"
    return value
