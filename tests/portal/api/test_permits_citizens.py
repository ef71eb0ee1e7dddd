"""What citizens see of permits: the proved person reads which project applied the opposition
and, apart, any public-interest exception with its legal basis, in the space, the JSON and the
PDF export; a proxy holder (a stranger filing "for" the person) never sees either."""

import datetime as dt
import json

import pytest

from portal.database import db
from registry.identifiers import parse_identifier
from registry.permits import PermitDetails, create_permit
from registry.purposes import Purpose
from registry.transparency import record_permit_sightings
from tests.pdf_text import pdf_text
from tests.portal.test_mydata import MARIE, WAREHOUSE, app, stranger_files_for_marie  # noqa: F401  (fixture)

TODAY = dt.date.today()
TITLE, EXC_TITLE = "Cohorte diabète de type 2", "Surveillance d'une épidémie transfrontière"
BASIS, DECISION = "Règlement (UE) 2025/327, art. 71(4) ; décret n° 2026-12", "DEC-2026-7"


def marie_under_permits(app) -> None:
    """The warehouse that applied Marie's opposition did so under one permit, and included her
    under another permit's exception."""
    with app.app_context():
        from portal.keys import keyring
        from registry.warehouses import Warehouse
        from sqlalchemy import select

        session = db.session()
        warehouse = session.scalars(select(Warehouse).where(Warehouse.name == WAREHOUSE)).one()
        common = dict(issuing_body="Health Data Hub", purposes=(Purpose.RESEARCH, Purpose.PUBLIC_HEALTH),
                      starts_on=TODAY - dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=30),
                      holders=(warehouse.client_id,))
        ok = create_permit(session, PermitDetails("HDH-OK", TITLE, url="https://example.org/hdh-ok", **common),
                           actor="test")
        exc = create_permit(session, PermitDetails("HDH-EXC", EXC_TITLE, url="https://example.org/hdh-exc",
                                                   exception_basis=BASIS, exception_reference=DECISION, **common),
                            actor="test")
        digest = keyring().hasher.digest(parse_identifier(MARIE).value)
        now = dt.datetime.now(dt.timezone.utc)
        record_permit_sightings(session, warehouse.id, Purpose.RESEARCH, ok.id, False, {digest: (now, now)})
        record_permit_sightings(session, warehouse.id, Purpose.PUBLIC_HEALTH, exc.id, True, {digest: (now, now)})
        session.commit()


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_proved_person_sees_the_permit_and_the_exception_apart_also_in_the_history(app, client, prefix):
    marie, *_ = stranger_files_for_marie(app, client)
    marie_under_permits(app)
    page = marie.get(f"{prefix}/mon-espace").get_data(as_text=True)
    applied, _, exceptions = page.partition('id="exceptions-appliquees"')
    assert 'href="https://example.org/hdh-ok"' in applied and TITLE in applied and "HDH-OK" in applied
    assert DECISION not in applied
    assert DECISION in exceptions and "Règlement (UE) 2025/327" in exceptions and EXC_TITLE.replace("'", "&#39;") in exceptions
    assert 'href="https://example.org/hdh-exc"' in exceptions
    assert "autorisations-d-acces" in page
    # the history too lists the exception, in a row group of its own
    receipts, _, history = page.partition('id="historique-exceptions"')
    rows = history.split("</tbody>")[0]
    assert f'data-exception="{DECISION}"' in rows and "2025/327" in rows and "HDH-EXC" in rows and WAREHOUSE in rows
    assert "HDH-OK" not in rows  # an ordinary permit is no exception
    assert ("History" if prefix else "Historique") in receipts.rpartition("<table>")[0].rpartition("<h4")[2]


def test_the_proved_persons_export_holds_the_permit_and_the_exception(app, client):
    marie, *_ = stranger_files_for_marie(app, client)
    marie_under_permits(app)
    person = json.loads(marie.get("/mon-espace/mes-donnees.json").data)["person"]
    with_permit = [a for a in person["applied_by_warehouses"] if "permit" in a]
    assert [(a["purpose"], a["permit"]["reference"], a["permit"]["title"]) for a in with_permit] == [
        ("research", "HDH-OK", TITLE)]
    assert [(e["purpose"], e["exception_reference"], e["legal_basis"], e["permit"]["reference"])
            for e in person["public_interest_exceptions"]] == [("public_health", DECISION, BASIS, "HDH-EXC")]
    for prefix in ("", "/en"):
        text = pdf_text(marie.get(f"{prefix}/mon-espace/mes-donnees.pdf").data)
        assert DECISION in text and "HDH-OK" in text and "2025/327" in text


def test_a_proxy_holder_never_sees_the_permits_or_the_exception(app, client):
    _, _, on_marie, _ = stranger_files_for_marie(app, client)
    marie_under_permits(app)
    for path in ("/mon-espace", "/en/mon-espace", "/mon-espace/mes-donnees.json"):
        body = client.get(path).get_data(as_text=True)
        assert on_marie in body or path != "/mon-espace/mes-donnees.json"
        for absent in ("HDH-OK", "HDH-EXC", DECISION, "2025/327", "exceptions-appliquees",
                       "historique-exceptions",
                       "public_interest_exceptions"):
            assert absent not in body, absent
    pdf = pdf_text(client.get("/mon-espace/mes-donnees.pdf").data)
    assert DECISION not in pdf and "HDH-OK" not in pdf
