import datetime as dt

import pytest

from portal.staff.warehouse_board import ClientSummary
from registry.models import utcnow


class FakeDirectory:
    """A stand-in for the warehouse clients, behind the board's interface."""

    def __init__(self):
        now = utcnow()
        self.clients = {
            "rno_fresh": ClientSummary("rno_fresh", "EDS Nord", True, now - dt.timedelta(days=30),
                                       now - dt.timedelta(hours=2), [(now.date(), 14, 1200)]),
            "rno_stale": ClientSummary("rno_stale", "EDS Sud", True, now - dt.timedelta(days=30),
                                       now - dt.timedelta(days=20), []),
        }
        self.calls = []

    def list_clients(self, session):
        return list(self.clients.values())

    def create(self, session, name, actor):
        self.calls.append(("create", name, actor))
        return "rno_new", "secret-shown-once"

    def rotate(self, session, client_id, actor):
        self.calls.append(("rotate", client_id, actor))
        return client_id, "rotated-secret"

    def disable(self, session, client_id, actor):
        self.calls.append(("disable", client_id, actor))


@pytest.fixture
def directory(app):
    app.extensions["warehouse_directory"] = FakeDirectory()
    return app.extensions["warehouse_directory"]


def test_the_board_warns_about_a_warehouse_that_stopped_checking(client, admin, directory):
    page = client.get("/staff/entrepots").get_data(as_text=True)
    assert "EDS Nord" in page and "EDS Sud" in page
    assert page.count("Pas de consultation récente") == 1
    assert page.index("Pas de consultation récente") > page.index("EDS Sud")
    assert "14 appels, 1200 identifiants" in page


def test_an_admin_creates_rotates_and_disables_clients(client, admin, directory):
    page = client.post("/staff/entrepots", data={"name": "EDS Est"}).get_data(as_text=True)
    assert "secret-shown-once" in page
    assert "rotated-secret" in client.post("/staff/entrepots/rno_fresh/secret").get_data(as_text=True)
    assert client.post("/staff/entrepots/rno_stale/desactivation").status_code == 302
    assert [c[0] for c in directory.calls] == ["create", "rotate", "disable"]
    assert all(c[2].startswith("staff:") for c in directory.calls)


def test_an_empty_name_is_explained(client, admin, directory):
    response = client.post("/staff/entrepots", data={"name": ""})
    assert response.status_code == 422
    assert "Saisissez le nom de l&#39;entrepôt." in response.get_data(as_text=True) or \
        "Saisissez le nom de l'entrepôt." in response.get_data(as_text=True)


def test_the_board_lists_the_registry_s_own_warehouse_clients(app, client, admin):
    """With the real warehouse module (no stand-in directory)."""
    result = app.test_cli_runner().invoke(args=["registry", "create-warehouse", "EDS du tableau", "--json"])
    assert result.exit_code == 0, result.output
    page = client.get("/staff/entrepots").get_data(as_text=True)
    assert "EDS du tableau" in page
    assert "pas installée" not in page


def test_an_agent_gets_403_on_every_board_action(client, agent, directory):
    assert client.get("/staff/entrepots").status_code == 403
    assert client.post("/staff/entrepots", data={"name": "x"}).status_code == 403
    assert client.post("/staff/entrepots/rno_fresh/desactivation").status_code == 403
    assert directory.calls == []


def test_activity_is_read_from_the_audited_api_calls(session):
    from portal.staff.warehouse_board import api_activity, is_stale
    from registry.audit import record_event

    for _ in range(3):
        record_event(session, action="api.lookup", actor="warehouse:rno_a", details={"identifiers": 100})
    record_event(session, action="warehouse.created", actor="warehouse:rno_a")
    activity = api_activity(session, ["rno_a", "rno_b"])
    last, per_day = activity["rno_a"]
    assert per_day == [(utcnow().date(), 3, 300)] and last is not None
    assert activity["rno_b"] == (None, [])
    old = utcnow() - dt.timedelta(days=10)
    assert is_stale(ClientSummary("rno_b", "B", True, old), utcnow(), dt.timedelta(days=7))
    assert not is_stale(ClientSummary("rno_a", "A", True, old, last), utcnow(), dt.timedelta(days=7))
    assert not is_stale(ClientSummary("rno_c", "C", False, old), utcnow(), dt.timedelta(days=7))


def test_private_run_acknowledgements_show_on_the_board_and_count_as_a_check(app, client, admin):
    from sqlalchemy import select

    from portal.database import db
    from registry.private_quota import acknowledge
    from registry.warehouses import Warehouse

    result = app.test_cli_runner().invoke(args=["registry", "create-warehouse", "EDS privé", "--json"])
    assert result.exit_code == 0, result.output
    page = client.get("/staff/entrepots").get_data(as_text=True)
    assert "Jamais" in page and "Aucune" in page
    with app.app_context():
        session = db.session()
        warehouse = session.scalars(select(Warehouse).where(Warehouse.name == "EDS privé")).one()
        acknowledge(session, warehouse.id, purpose="research", cohort_size=100000, opposed_count=5012,
                    filter_version=42)
        session.commit()
    page = client.get("/staff/entrepots").get_data(as_text=True)
    assert "finalité research : 100000 personnes vérifiées, 5012 opposées (version 42 de la liste)" in page
    assert "Jamais" not in page, "the private run is the warehouse's last check"
