"""An opposition that already exists is shown as what it is. The person who proves to be its
subject is told it was already in force (since when, what their filing added), never a new
"Opposition enregistrée" or an old receipt; any other holder is told about its own request only,
never about the counter's filing for the same person."""

from __future__ import annotations

import re

import datetime as dt

from sqlalchemy import select

from portal.database import db
from registry.identifiers import parse_identifier
from registry.models import OppositionVersion
from registry.oppositions import file_opposition
from registry.purposes import Purpose
from tests.e2e.test_citizen_journeys import file_for_myself, log_in
from tests.e2e.test_ownership import CHILD, COUNTER, KARIM, counter_filing, fill_proxy_form

CHILD_BIRTHDATE = "2018-03-09"


def counter_filing_for(live_server, nir: str, purposes) -> None:
    with live_server.app.app_context():
        from portal.keys import keyring

        file_opposition(db.session(), keyring(), parse_identifier(nir), purposes, COUNTER)
        db.session().commit()


def a_day_passes(live_server) -> None:
    """Every filing so far was recorded a day ago: a form sent again within minutes is a double
    click and shows its own receipt again; a day later it is a new filing."""
    with live_server.app.app_context():
        for version in db.session().scalars(select(OppositionVersion)):
            version.recorded_at -= dt.timedelta(days=1)
        db.session().commit()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).first.inner_text()


def test_the_person_filing_over_a_counter_opposition_is_told_it_was_already_in_force(live_server, page):
    counter_filing(live_server, KARIM)  # every purpose, at a counter, before Karim has an account
    log_in(page, live_server, "demo-karim-maroc", "/mon-espace/opposition")
    file_for_myself(page, KARIM)
    page.locator("#reference").wait_for()
    assert heading(page) == "Votre opposition était déjà en vigueur"
    assert "Opposition en vigueur depuis" in page.locator("main").inner_text()

    page.goto(live_server.url + "/mon-espace/opposition")  # sent again at once: the same receipt
    file_for_myself(page, KARIM)
    page.locator("#reference").wait_for()
    assert heading(page) == "Votre opposition était déjà en vigueur"

    a_day_passes(live_server)
    page.goto(live_server.url + "/mon-espace/opposition")  # the same the next day: nothing to record
    file_for_myself(page, KARIM)
    page.wait_for_url(live_server.url + "/mon-espace")
    notice = page.locator(".fr-alert--info").inner_text()
    assert "elle est inchangée" in notice and "aucun nouveau récépissé" in notice
    assert "Au guichet" in page.locator("main").inner_text()  # the person sees the counter's filing


def test_a_filing_that_adds_purposes_says_so(live_server, page):
    counter_filing_for(live_server, KARIM, [Purpose.AI])
    log_in(page, live_server, "demo-karim-maroc", "/en/mon-espace/opposition")
    file_for_myself(page, KARIM)
    page.locator("#reference").wait_for()
    assert heading(page) == "Purposes added to your opt-out"
    assert "In force since" in page.locator("main").inner_text()


def test_a_parent_sees_her_own_request_only_never_the_counters_filing_for_her_child(live_server, page):
    counter_filing(live_server, CHILD)  # the demo child, filed at a counter
    log_in(page, live_server, "demo-julie-parent", "/mon-espace/procuration")
    fill_proxy_form(page, "minor", CHILD, CHILD_BIRTHDATE)
    page.locator("#reference").wait_for()
    main = page.locator("main").inner_text()
    assert heading(page) == "Demande enregistrée"
    assert "en vigueur" not in main and "Au guichet" not in main

    a_day_passes(live_server)
    page.goto(live_server.url + "/mon-espace/procuration")
    fill_proxy_form(page, "minor", CHILD, CHILD_BIRTHDATE)
    page.wait_for_url(live_server.url + "/mon-espace")
    assert "Vous aviez déjà fait cette demande" in page.locator(".fr-alert--info").inner_text()
    space = page.locator("main").inner_text()
    assert "Au guichet" not in space
    assert len(set(re.findall(r"RNO(?:-[A-Z2-9]{4}){4}", page.content()))) == 1  # her one receipt, no other
