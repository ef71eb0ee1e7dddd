"""A value in a page's address never gives a server error: ids beyond any id column and
references holding characters they cannot hold are no page (404), for every role, on both
databases."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.portal.staff.test_query_parameters import clients  # noqa: F401  (a shared fixture)

HOSTILE_TEXT = ["%00", "%0A", "x" * 300, "RNO-%00", "..%2F..", "%E2%80%AE"]
HOSTILE_INT = [str(2**31), str(2**63), "9" * 30]


def addresses(app) -> list[str]:
    """Every GET page with parts in its address, each part given each hostile value."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.arguments or rule.rule.startswith(("/static", "/api")):
            continue
        for hostile in range(max(len(HOSTILE_TEXT), len(HOSTILE_INT))):
            path = rule.rule
            for name, converter in rule._converters.items():
                values = HOSTILE_INT if isinstance(converter, IntegerConverter) else HOSTILE_TEXT
                path = path.replace(f"<{_spec(rule.rule, name)}>", values[hostile % len(values)])
            found.append(path)
    return found


def _spec(rule: str, name: str) -> str:
    start = rule.index(f"{name}>")
    return rule[rule.rindex("<", 0, start) + 1:start] + name


def test_the_sweep_covers_the_id_and_reference_pages(app):
    paths = addresses(app)
    assert any(p.startswith(f"/staff/campagnes/{2**31}") for p in paths)
    assert "/staff/recu/%00" in paths


@pytest.mark.parametrize("role", ["anonymous", "agent", "campaign_manager", "registry_admin"])
def test_no_value_in_an_address_gives_a_server_error(app, clients, role):  # noqa: F811
    client = app.test_client() if role == "anonymous" else clients[role]
    failures = [(path, status) for path in addresses(app)
                if (status := client.get(path).status_code) >= 500]
    assert failures == []


@pytest.mark.parametrize("path", [f"/staff/campagnes/{2**31}", f"/staff/campagnes/{2**31}/tableau-de-bord",
                                  f"/staff/campagnes/{2**31}/export.csv", "/staff/recu/%00", "/staff/recu/RNO-AAAA"])
def test_an_id_or_a_reference_that_cannot_exist_is_not_found(clients, path):  # noqa: F811
    role = "agent" if "recu" in path else "campaign_manager"
    assert clients[role].get(path).status_code == 404
