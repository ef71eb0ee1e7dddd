"""Permits in a real browser: a registry administrator records a permit through the back-office
form (an error first, named on its field), changes it to add an exception, and the public
register shows it in French and English; axe-core and the CSP hold on every page, at phone and
desktop widths."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from registry.db import create_database_engine
from registry.warehouses import create_warehouse
from tests.e2e.browser import check_page
from tests.e2e.test_staff import choose, make_account, sign_in_with_totp  # noqa: F401  (fixture)

TODAY = dt.date.today()


@pytest.fixture
def warehouse(database_url) -> str:
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        credentials = create_warehouse(session, "CHU de Rennes")
        session.commit()
    engine.dispose()
    return credentials.client_id


@pytest.mark.parametrize("width", [375, 1280])
def test_an_administrator_records_a_permit_and_the_public_sees_it(live_server, page, console_errors, make_account,
                                                                   warehouse, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_with_totp(page, live_server, make_account("registry_admin"))
    page.get_by_role("link", name="Autorisations d'accès").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Autorisations d'accès aux données"
    check_page(page, console_errors)
    page.get_by_role("link", name="Enregistrer une autorisation").click()
    page.get_by_label("Référence de l'autorisation").fill("HDH-2026-0042")
    page.get_by_label("Titre du projet").fill("Cohorte diabète de type 2")
    page.get_by_label("Organisme qui l'a délivrée").fill("Health Data Hub")
    choose(page, "Recherche scientifique")
    page.get_by_label("Début").fill(TODAY.isoformat())
    page.get_by_label("Fin").fill((TODAY - dt.timedelta(days=1)).isoformat())  # before the start
    page.get_by_label("Adresse publique de l'autorisation").fill("https://www.health-data-hub.fr/projets/0042")
    choose(page, f"CHU de Rennes ({warehouse})")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("La fin est le jour du début ou après.").is_visible()
    check_page(page, console_errors)
    page.get_by_label("Fin").fill((TODAY + dt.timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("L'autorisation HDH-2026-0042 est enregistrée.").is_visible()
    page.get_by_role("link", name="Modifier HDH-2026-0042").click()
    page.get_by_label("Exception d'intérêt public : base légale (facultatif)").fill(
        "Règlement (UE) 2025/327, article 71, paragraphe 4")
    page.get_by_label("Exception d'intérêt public : référence de la décision (facultatif)").fill("DEC-2026-7")
    check_page(page, console_errors)
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("L'autorisation HDH-2026-0042 est modifiée.").is_visible()
    check_page(page, console_errors)

    for path, heading in (("/autorisations-d-acces", "Autorisations d'accès aux données"),
                          ("/en/autorisations-d-acces", "Data permits")):
        page.goto(live_server.url + path)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert page.locator("[data-permit='HDH-2026-0042'] [data-excluded]").inner_text() == "<10"
        assert page.locator("[data-exception='DEC-2026-7'] [data-excepted]").inner_text() == "<10"
        check_page(page, console_errors)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the page scrolls sideways at {width} px"
