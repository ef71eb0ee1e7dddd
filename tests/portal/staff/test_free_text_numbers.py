"""Issue 17, line 12: wherever staff type free text (campaign pages, placements, warehouse names,
audit filters), a social security number however typed is refused with a message, and nothing
holding it is stored."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from campaigns.models import Campaign
from portal.database import db
from registry.warehouses import Warehouse
from tests.portal.campaigns.test_manager_pages import CAMPAIGN_FORM
from tests.portal.staff.test_query_parameters import clients  # noqa: F401  (a shared fixture)

MESSAGE = "Ce texte contient un numéro de sécurité sociale : retirez-le."
TYPED = ["2 85 02 2A 990 123 60", "2/85/02/2A/004/123/55", "４８５０２７５０５６０７８", "1.78.11.99.350.045.61"]


def count(app, model) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("typed", TYPED)
def test_a_campaign_page_holding_a_number_is_refused(app, clients, typed):  # noqa: F811
    data = {**CAMPAIGN_FORM, "body_fr": f"Exemple : {typed}"}
    response = clients["campaign_manager"].post("/staff/campagnes/nouvelle", data=data)
    assert response.status_code == 422 and MESSAGE in html.unescape(response.get_data(as_text=True))
    assert count(app, Campaign) == 0


@pytest.mark.parametrize("typed", TYPED)
def test_a_warehouse_name_holding_a_number_is_refused(app, clients, typed):  # noqa: F811
    before = count(app, Warehouse)
    response = clients["registry_admin"].post("/staff/entrepots", data={"name": f"EDS {typed}"})
    assert response.status_code == 422 and MESSAGE in html.unescape(response.get_data(as_text=True))
    assert count(app, Warehouse) == before


def test_an_audit_filter_holding_a_number_is_explained(clients):  # noqa: F811
    page = clients["registry_admin"].get("/staff/audit", query_string={"target": TYPED[1]}).get_data(as_text=True)
    assert MESSAGE in html.unescape(page)


def test_ordinary_text_with_figures_still_goes_through(app, clients):  # noqa: F811
    data = {**CAMPAIGN_FORM, "body_fr": "Appelez le 01 23 45 67 89 du lundi au vendredi, 9 h - 17 h, en 2026."}
    assert clients["campaign_manager"].post("/staff/campagnes/nouvelle", data=data).status_code == 302
