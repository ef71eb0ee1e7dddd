"""Every page, at phone and desktop widths, in French and English, passes axe-core with no serious
or critical violation and no CSP violation: the public pages reachable from the home page and the
site map, a citizen's space and the pages it links to, and every back-office page of each role.

The pages are found by following links, not listed by hand, so a new page is swept as soon as
something links to it. One browser page walks them all (the sweep's cost is the pages, not the
browser starts). With ``SCREENSHOTS_DIR`` set, the home page, the space, a receipt and the
statistics are saved there at both widths (the closing notes of the experience work list them).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import check_page
from tests.e2e.test_citizen_journeys import JULIE, file_for_myself, log_in
from tests.e2e.test_staff import make_account, sign_in_with_totp  # noqa: F401  (a fixture)
from tests.e2e.conftest import live_config

WIDTHS = (375, 1280)
# Not pages: files, the sign-in and sign-out hops, the API, the other language's twin.
SKIPPED = re.compile(r"\.(pdf|json|csv|png|svg|txt|xml)$|/(connexion|deconnexion|logout)\b|^/api/|/staff/connexion")
SCREENSHOTS = {"/": "accueil", "/mon-espace": "mon-espace", "/statistiques": "statistiques", "/statistics": "statistiques"}


@pytest.fixture
def live_server_config(database_url, oidc_provider) -> dict:
    return live_config(database_url, FRANCECONNECT_ISSUER=oidc_provider.url, STAFF_BASE_DELAY=0)


def links(page, origin: str, scope: str = "body") -> set[str]:
    hrefs = page.eval_on_selector_all(f"{scope} a[href]", "links => links.map(a => a.href)")
    found = set()
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIPPED.search(parts.path):
            continue
        found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def sweep(page, console_errors, origin: str, paths, shots: str | None = None) -> list[str]:
    """Check every path at every width; the paths that failed, with why (all reported at once)."""
    failures = []
    for path in sorted(paths):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            console_errors.clear()
            response = page.goto(origin + path)
            try:
                assert response is not None and response.status < 400, f"status {response and response.status}"
                check_page(page, console_errors)
            except AssertionError as error:
                failures.append(f"{path} at {width} px: {error}")
            name = SCREENSHOTS.get(path) or SCREENSHOTS.get(path.removeprefix("/en"))
            if shots and name:
                suffix = "-en" if path.startswith("/en") else ""
                page.screenshot(path=str(Path(shots) / f"{name}{suffix}-{width}.png"), full_page=True)
    return failures


def public_pages(page, origin: str, lang: str) -> set[str]:
    found = {f"{lang}/", f"{lang}/plan-du-site"}
    for start in list(found):
        page.goto(origin + start)
        found |= {p for p in links(page, origin) if p.startswith("/en/") == (lang == "/en")
                  and "/staff" not in p and "/mon-espace" not in p}  # the space: signed in, below
    return found


@pytest.mark.parametrize("lang", ["", "/en"])
def test_every_public_and_citizen_page_passes_axe(live_server, page, console_errors, lang):
    assert live_server.app.test_cli_runner().invoke(args=["registry", "seed-demo"]).exit_code == 0
    origin, shots = live_server.url, os.environ.get("SCREENSHOTS_DIR")
    failures = sweep(page, console_errors, origin, public_pages(page, origin, lang), shots)

    log_in(page, live_server, "demo-julie-parent", f"{lang}/mon-espace/opposition")
    file_for_myself(page, JULIE)
    page.locator("#reference").wait_for()
    receipt = urlsplit(page.url).path
    page.goto(f"{origin}{lang}/mon-espace")
    citizen = {f"{lang}/mon-espace", receipt} | {p for p in links(page, origin, "main") if "/mon-espace" in p}
    failures += sweep(page, console_errors, origin, citizen, shots)
    if shots:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(origin + receipt)
            page.screenshot(path=str(Path(shots) / f"recepisse{'-en' if lang else ''}-{width}.png"), full_page=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["agent", "campaign_manager", "registry_admin"])
def test_every_back_office_page_of_each_role_passes_axe(live_server, page, console_errors, make_account, role):
    assert live_server.app.test_cli_runner().invoke(args=["registry", "seed-demo"]).exit_code == 0
    sign_in_with_totp(page, live_server, make_account(role))
    page.wait_for_url(re.compile(r"/staff/?$"))
    origin = live_server.url
    pages = {"/staff/"} | {p for p in links(page, origin) if p.startswith("/staff")}
    for start in sorted(pages - {"/staff/"}):  # one level further: a campaign, a warehouse client...
        page.goto(origin + start)
        pages |= {p for p in links(page, origin, "main") if p.startswith("/staff")}
    failures = sweep(page, console_errors, origin, pages)
    assert not failures, "\n".join(failures)
