"""A real gunicorn serving ``wsgi:app`` for the tests that need several worker processes.

The listening socket is bound here and handed to gunicorn (``fd://``), so no other process can take the
port between choosing and binding it; a server that exits before it answers fails the test with its own
error output instead of a wait for nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


class Gunicorn:
    def __init__(self, env: dict, *, workers: int = 2, threads: int | None = None,
                 ready: str = "/api/v1/health") -> None:
        self.env = env
        self.workers = workers
        self.threads = threads
        self.ready = ready
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        fd, name = tempfile.mkstemp(suffix=".log")  # a file, not a pipe: a talkative server never blocks on it
        os.close(fd)
        self.log = open(name, "ab+")  # appended to: reading it back never moves where the server writes
        os.unlink(name)

    def start(self) -> Gunicorn:
        """Start the server in its own process group and return once it answers ``ready``."""
        fd = self.listener.fileno()
        command = [str(GUNICORN), "-w", str(self.workers), "-b", f"fd://{fd}", "wsgi:app"]
        if self.threads:
            command[3:3] = ["--threads", str(self.threads)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, pass_fds=(fd,), start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        while self.process.poll() is None:  # connections queue on the socket: no time is asserted
            try:
                requests.get(self.url + self.ready, timeout=30)
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        pytest.fail(f"gunicorn exited ({self.process.returncode}) before it answered: {self.errors()[-3000:]}")

    def errors(self) -> str:
        """What the server wrote to stderr so far (every start of this node)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """Kill the whole node at once, as a machine that loses power."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)

    def close(self) -> None:
        self.stop()
        self.listener.close()
        self.log.close()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()
