"""The back-office's chrome without a browser: its own header, its titles said once, and a
warehouse client that never checked the registry shown as never used (a warning once it is old)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from portal.staff.warehouse_board import ClientSummary
from registry.models import utcnow
from tests.portal.staff.test_warehouse_board import FakeDirectory


def title(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))


def status_cell(page: str, name: str) -> str:
    row = re.search(rf"<tr>\s*<td>{re.escape(name)}</td>.*?</tr>", page, re.S).group(0)
    return re.findall(r"<td>(.*?)</td>", row, re.S)[2]


@pytest.fixture
def directory(app):
    directory = FakeDirectory()
    now = utcnow()
    directory.clients["rno_new"] = ClientSummary("rno_new", "EDS Neuf", True, now - dt.timedelta(hours=1))
    directory.clients["rno_idle"] = ClientSummary("rno_idle", "EDS Oublié", True, now - dt.timedelta(days=90))
    app.extensions["warehouse_directory"] = directory
    return directory


def test_a_client_that_never_checked_is_shown_as_never_used(client, admin, directory):
    page = client.get("/staff/entrepots").get_data(as_text=True)
    new, idle, fresh = (status_cell(page, n) for n in ("EDS Neuf", "EDS Oublié", "EDS Nord"))
    assert "Jamais utilisé" in new and "fr-badge--info" in new and "À jour" not in new
    assert "Jamais utilisé" in idle and "fr-badge--warning" in idle  # and it is late
    assert "À jour" in fresh and "Jamais utilisé" not in fresh


def test_the_back_office_header_is_its_own_and_titles_are_said_once(client, admin):
    page = client.get("/staff/").get_data(as_text=True)
    assert title(page) == "Espace agents - Registre national d'opposition"
    header = page[page.index('<header role="banner"'):page.index("</header>")]
    assert admin in header and "Se déconnecter" in header
    for citizen in ("Se connecter", "Mon espace", "English", "/mon-espace"):
        assert citizen not in header, citizen
    audit = client.get("/staff/audit").get_data(as_text=True)
    assert title(audit) == "Journal d'audit - Espace agents - Registre national d'opposition"
