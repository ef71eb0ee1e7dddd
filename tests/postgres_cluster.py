"""A throwaway PostgreSQL cluster for the test run: initdb and pg_ctl in a temporary folder.

It listens on a Unix socket inside that folder only (no TCP port to collide with), trusts local
connections, and is stopped and deleted at the end of the run. As root, PostgreSQL refuses to
run, so the server commands run as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for candidate in [os.environ.get("PG_BIN", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


class PostgresCluster:
    def __init__(self, pg_bin: Path) -> None:
        self.pg_bin = pg_bin
        self.root = Path(tempfile.mkdtemp(prefix="registre-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.pg_bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(str(self.pg_bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.root / "server.log"), "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"

    def stop(self) -> None:
        try:
            self._run(str(self.pg_bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
