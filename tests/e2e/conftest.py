"""Browser tests: the portal served on a free port, driven by Debian's chromium through Playwright.

Chromium is never downloaded by Playwright: the tests use the system browser
(``apt-get install chromium``; ``.ci/run`` installs it). Where it is missing the browser tests
are skipped on a workstation but fail in CI (``CI`` set), so they can never silently not run.

Each browser test fails after ``BROWSER_TEST_TIMEOUT`` seconds (pytest-timeout): some Playwright
calls (``new_page``, ``evaluate``) wait without a time limit of their own, and a browser that
stops answering must fail its test, not hold the whole run.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.e2e.browser import AXE_SCRIPT
from tests.oidc_provider import oidc_provider  # noqa: F401  (a shared fixture)

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
BROWSER_TEST_TIMEOUT = 180
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


def live_config(database_url: str, **extra) -> dict:
    """The configuration of a served test portal: CSRF on, as in production."""
    return {
        "TESTING": True,
        "SECRET_KEY": "e2e-secret",
        "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY,
        "OPRF_KEY": TEST_OPRF_KEY,
        "WTF_CSRF_ENABLED": True,
        **extra,
    }


def files_read_whole(app):
    """The app with every file it sends read whole and closed at once.

    werkzeug's development server skips closing a response when the client resets the
    connection while it drains the request (a browser cancelling a favicon), and the open file
    then surfaces in a later test as an unraisable ResourceWarning. The test files are small.
    """
    def read_whole(file, _block_size=8192):
        with file:
            return [file.read()]

    def served(environ, start_response):
        environ["wsgi.file_wrapper"] = read_whole
        return app(environ, start_response)

    return served


class LiveServer:
    """A WSGI app served by werkzeug in a thread on a free 127.0.0.1 port."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, files_read_whole(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)  # shut down in 50 ms, not the default 500

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def live_server_config(database_url, oidc_provider) -> dict:
    """Override in a test module to serve the portal with other settings."""
    return live_config(database_url, FRANCECONNECT_ISSUER=oidc_provider.url)


@pytest.fixture
def live_server(live_server_config):
    from portal import create_app
    from portal.database import db

    app = create_app(live_server_config)
    with LiveServer(app) as server:
        yield server
    db.dispose(app)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is not installed: run npm ci")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile with axe-core injected into every page (outside the page's CSP)."""
    context = browser.new_context(locale="fr-FR")
    context.add_init_script(path=str(AXE_SCRIPT))
    yield context
    context.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(context, console_errors):
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    yield page
    # A test may end on a click whose navigation is still under way; closing the page in the
    # middle of it has hung chromium (twice in full runs, in ``page.close``). Let the page's
    # requests settle first: this wait has a time limit, closing has none.
    try:
        page.wait_for_load_state("networkidle", timeout=30_000)
    except PlaywrightError:
        pass
    page.close()
