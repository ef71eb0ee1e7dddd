import re
import csv
import datetime as dt
import io

from sqlalchemy import update

from portal.database import db
from registry.audit import event_hash
from registry.models import AuditEvent


def test_an_admin_browses_the_trail_newest_first_with_filters(client, admin, make_staff):
    make_staff("agent")
    page = client.get("/staff/audit").get_data(as_text=True)
    actions = re.findall(r"<td>((?:staff|audit|opposition)\.[a-z_]+)</td>", page)
    assert actions == ["staff.created", "staff.login", "staff.totp_enrolled", "staff.created"]
    filtered = client.get("/staff/audit?action=staff.created").get_data(as_text=True)
    assert "staff.created" in filtered and "staff.login<" not in filtered
    assert "Aucun événement" in client.get("/staff/audit?actor=staff:999").get_data(as_text=True)


def test_a_bad_date_filter_is_explained(client, admin):
    response = client.get("/staff/audit?since=hier")
    assert response.status_code == 422
    assert "Saisissez une date au format JJ/MM/AAAA." in response.get_data(as_text=True)


def test_the_chain_is_verified_from_the_page_and_the_check_is_audited(app, client, admin):
    page = client.post("/staff/audit/verification").get_data(as_text=True)
    assert "Chaîne intacte" in page
    with app.app_context():
        session = db.session()
        session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="forged"))
        session.commit()
    page = client.post("/staff/audit/verification").get_data(as_text=True)
    assert "Chaîne rompue à l&#39;événement 2" in page or "Chaîne rompue à l'événement 2" in page
    assert "audit.verified" in page


def test_the_export_carries_the_hashes_so_the_chain_can_be_checked_elsewhere(app, client, admin):
    response = client.get("/staff/audit/export.csv?action=staff.")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv"
    assert [r["action"] for r in rows][:3] == ["staff.created", "staff.totp_enrolled", "staff.login"]
    first = rows[0]
    # the event rebuilt from the export alone hashes to the exported hash
    event = AuditEvent(seq=int(first["seq"]), prev_hash=first["prev_hash"], actor=first["actor"], action=first["action"],
                       target=first["target"] or None, details=first["details"])
    event.occurred_at = dt.datetime.fromisoformat(first["occurred_at"])
    assert event_hash(event) == first["hash"]
    assert "audit.exported" in client.get("/staff/audit?action=audit.").get_data(as_text=True)


def test_an_agent_cannot_verify_or_export(client, agent):
    assert client.post("/staff/audit/verification").status_code == 403
    assert client.get("/staff/audit/export.csv").status_code == 403
