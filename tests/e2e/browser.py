"""Helpers for the browser tests: axe-core checks and CSP violation capture."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def assert_no_serious_axe_violations(page) -> None:
    """Run axe-core (injected into every page by the ``context`` fixture) on the page as it
    stands; fail on any serious or critical violation, naming the rule and the elements."""
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in blocking
    )
    assert not blocking, f"axe-core on {page.url}:\n{report}"


def check_page(page, console_errors: list[str]) -> None:
    """What every citizen page must hold: no serious axe violation, no CSP violation."""
    assert_no_serious_axe_violations(page)
    blocked = [m for m in console_errors if "Content Security Policy" in m]
    assert not blocked, f"CSP violations on {page.url}: {blocked}"
