"""Rules that used to be written twice, each now in one module: the SVG charts (statistics and
campaign dashboard), the PDF preamble (every PDF the portal makes) and the OpenID Connect flow
(FranceConnect and Pro Santé Connect). A second copy in another module fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"

ONE_PLACE = [
    # what writes the rule, and the only module allowed to
    (r"<svg\b", "charts.py"),
    (r"^\s*(from fpdf\b|import fpdf\b)", "pdf.py"),
    (r"\.add_page\(|\.output\(", "pdf.py"),
    (r"RÉPUBLIQUE", "pdf.py"),
    (r"authorize_access_token|\bOAuth\(|load_server_metadata|end_session_endpoint", "auth/oidc.py"),
    (r"AUTHLIB_INSECURE_TRANSPORT|must be an https:// URL", "auth/oidc.py"),
]


@pytest.mark.parametrize(("pattern", "home"), ONE_PLACE)
def test_the_rule_is_written_in_one_module(pattern, home):
    expression = re.compile(pattern, re.MULTILINE)
    found = sorted(str(path.relative_to(PORTAL)) for path in PORTAL.rglob("*.py")
                   if expression.search(path.read_text(encoding="utf-8")))
    assert found == [home]
