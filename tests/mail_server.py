"""A real SMTP server for the tests that send mail: maildev (npm, installed with the front-end
packages), the mail catcher ``./run`` starts too, in its own process on free ports. The tests
read what it received through its REST API (``GET /email``), as a person reads its web page.

maildev rather than an in-process server (aiosmtpd): it is the same server the development
set-up shows mails in, already installed by ``npm ci`` (no new Python dependency), it runs in
another process as a real relay does, and it can be stopped and started again on the same port
to test a relay that is down then back.

``mail_server`` (one per run, emptied before each test that uses it) gives ``smtp_url`` for
``REGISTRE_MAIL_SMTP_URL`` and ``wait_for_mails(n)``; ``MailServer`` serves a test that needs a
server of its own.
"""

from __future__ import annotations

import atexit
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

MAILDEV = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "maildev"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """maildev on 127.0.0.1: SMTP on ``smtp_port``, its web page and REST API on ``web_port``."""

    def __init__(self, smtp_port: int | None = None, web_port: int | None = None) -> None:
        self.smtp_port = smtp_port or free_port()
        self.web_port = web_port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def smtp_url(self) -> str:
        return f"smtp://127.0.0.1:{self.smtp_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> "MailServer":
        if not MAILDEV.exists():
            pytest.fail("maildev is not installed: run npm ci (source .ci/venv.sh && ensure_node_modules)")
        self.process = subprocess.Popen(
            [str(MAILDEV), "--smtp", str(self.smtp_port), "--web", str(self.web_port), "--ip", "127.0.0.1", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.mails()
                with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=0.5):
                    return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    pytest.fail("maildev did not start")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> "MailServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _request(self, method: str, path: str):
        request = urllib.request.Request(self.web_url + path, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def mails(self) -> list[dict]:
        """Every mail received, oldest first, as maildev parsed it (``subject``, ``text``,
        ``to``, ``from``, ``headers``...)."""
        return self._request("GET", "/email")

    def clear(self) -> None:
        self._request("DELETE", "/email/all")

    def wait_for_mails(self, count: int = 1, timeout: float = 10) -> list[dict]:
        """The mails once at least ``count`` have arrived (maildev parses each after the SMTP
        exchange ends); fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.mails()
            if len(mails) >= count or time.monotonic() > deadline:
                assert len(mails) >= count, f"{len(mails)} mails received, {count} expected"
                return mails
            time.sleep(0.1)


_shared: MailServer | None = None


@pytest.fixture
def mail_server() -> MailServer:
    """A running maildev, emptied for this test: one for the whole run, started by the first
    test that asks for it and stopped when the run ends (import this one name to use it)."""
    global _shared
    if _shared is None:
        _shared = MailServer().start()
        atexit.register(_shared.stop)
    _shared.clear()
    return _shared
