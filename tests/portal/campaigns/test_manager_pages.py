"""Campaign-manager pages: role check, forms with a message per field, publishing, QR codes,
the dashboard with "<10", and the CSV export."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from campaigns.models import Campaign, Placement
from campaigns.reach import add_to_counter, count_filing
from portal.database import db

CAMPAIGN_FORM = {
    "slug": "hiver-2026", "audience": "citizens", "starts_on": "2026-12-01", "ends_on": "31/03/2027",
    "title_fr": "Cet hiver, choisissez", "title_en": "This winter, choose",
    "body_fr": "## Pourquoi\n\nParce que.", "body_en": "## Why\n\nBecause.",
}


def create(client) -> int:
    response = client.post("/staff/campagnes/nouvelle", data=CAMPAIGN_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").split("/")[-1])


def test_campaign_pages_need_sign_in_and_the_campaign_manager_role(client, make_staff, sign_in):
    response = client.get("/staff/campagnes/")
    assert response.status_code == 302 and "/staff/connexion" in response.location
    sign_in(make_staff("agent"))
    assert client.get("/staff/campagnes/").status_code == 403
    assert client.post("/staff/campagnes/nouvelle", data=CAMPAIGN_FORM).status_code == 403


def test_a_manager_creates_previews_and_publishes_a_campaign(client, app, manager):
    campaign_id = create(client)
    assert client.get("/campagnes/hiver-2026").status_code == 404  # a draft is not public
    preview = client.get(f"/staff/campagnes/{campaign_id}/apercu/en").get_data(as_text=True)
    assert "This winter, choose" in preview and "<h2>Why</h2>" in preview and 'lang="en"' in preview

    response = client.post(f"/staff/campagnes/{campaign_id}/publication", data={"action": "publish"})
    assert response.status_code == 302
    assert "Cet hiver, choisissez" in client.get("/campagnes/hiver-2026").get_data(as_text=True)
    client.post(f"/staff/campagnes/{campaign_id}/publication", data={"action": "unpublish"})
    assert client.get("/campagnes/hiver-2026").status_code == 404


def test_bad_input_gets_a_message_on_each_field(client, manager):
    data = {**CAMPAIGN_FORM, "slug": "Avec Espaces", "starts_on": "2026-13-45", "ends_on": "", "title_en": "",
            "audience": "martiens"}
    response = client.post("/staff/campagnes/nouvelle", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "L&#39;adresse courte comporte des lettres minuscules",
        "Saisissez une date valide, par exemple 31/12/2026.",
        "Saisissez la date de fin.",
        "Saisissez le titre en anglais.",
        "Choisissez le public de la campagne.",
    ):
        assert message in page
    assert "fr-input-group--error" in page


def test_the_end_date_must_follow_the_start(client, manager):
    response = client.post("/staff/campagnes/nouvelle", data={**CAMPAIGN_FORM, "ends_on": "2026-11-01"})
    assert response.status_code == 422
    assert "La date de fin doit suivre la date de début." in response.get_data(as_text=True)


def test_placements_get_a_vanity_link_and_downloadable_qr_codes(client, app, manager):
    campaign_id = create(client)
    response = client.post(f"/staff/campagnes/{campaign_id}/emplacements/nouveau", data={
        "label": "Affiches en mairie", "channel": "qr_poster", "locale": "fr", "code": "mairie",
        "declared_reach": "5 000", "declared_reach_note": "5 000 affiches"})
    assert response.status_code == 302
    page = client.get(f"/staff/campagnes/{campaign_id}").get_data(as_text=True)
    assert "http://localhost/c/mairie" in page
    with app.app_context():
        placement = db.session().scalar(select(Placement).where(Placement.code == "mairie"))
        assert placement.declared_reach == 5000
    png = client.get(f"/staff/campagnes/{campaign_id}/emplacements/{placement.id}/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert 'filename="qr-mairie.png"' in png.headers["Content-Disposition"]
    svg = client.get(f"/staff/campagnes/{campaign_id}/emplacements/{placement.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"QR code vers http://localhost/c/mairie" in svg.data
    assert client.get(f"/staff/campagnes/{campaign_id}/emplacements/{placement.id}/qr.gif").status_code == 404


def test_a_placement_with_bad_fields_is_refused_field_by_field(client, manager):
    campaign_id = create(client)
    response = client.post(f"/staff/campagnes/{campaign_id}/emplacements/nouveau", data={
        "label": "", "channel": "television", "locale": "fr", "code": "é!", "declared_reach": "beaucoup"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La portée déclarée est un nombre entier positif." in page
    response = client.post(f"/staff/campagnes/{campaign_id}/emplacements/nouveau", data={
        "label": "", "channel": "television", "locale": "fr", "code": "é!", "declared_reach": ""})
    page = response.get_data(as_text=True)
    assert "Saisissez un nom pour cet emplacement." in page
    assert "Choisissez le canal." in page
    assert "Le code comporte des lettres minuscules" in page


def test_an_unknown_campaign_or_placement_is_not_found(client, manager):
    assert client.get("/staff/campagnes/999").status_code == 404
    assert client.get("/staff/campagnes/999/tableau-de-bord").status_code == 404
    campaign_id = create(client)
    assert client.get(f"/staff/campagnes/{campaign_id}/emplacements/999/modifier").status_code == 404


def test_the_dashboard_shows_small_counts_as_under_ten_with_charts_and_tables(client, app, manager):
    campaign_id = create(client)
    client.post(f"/staff/campagnes/{campaign_id}/emplacements/nouveau", data={
        "label": "Radio", "channel": "radio", "locale": "fr", "code": "radio-hiver", "declared_reach": "2000000"})
    with app.app_context():
        session = db.session()
        placement = session.scalar(select(Placement).where(Placement.code == "radio-hiver"))
        add_to_counter(session, placement.id, "arrival", dt.date(2026, 12, 2), 42)
        add_to_counter(session, placement.id, "arrival", dt.date(2026, 12, 3), 7)
        add_to_counter(session, placement.id, "lesson_viewed", dt.date(2026, 12, 2), 3)
        for _ in range(11):
            count_filing(session, dt.date(2026, 12, 2))
        session.commit()
    page = client.get(f"/staff/campagnes/{campaign_id}/tableau-de-bord").get_data(as_text=True)
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert "<td>42</td>" in page and "<td>49</td>" in page
    assert "<td>&lt;10</td>" in page
    assert "<td>7</td>" not in page and "<td>3</td>" not in page
    assert "2 000 000" in page  # declared reach, shown apart
    assert "<td>11</td>" in page  # national filings

    export = client.get(f"/staff/campagnes/{campaign_id}/export.csv")
    assert export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).splitlines()
    assert "hiver-2026,radio-hiver,radio,2026-12-02,arrival,42" in lines
    assert "hiver-2026,radio-hiver,radio,2026-12-03,arrival,<10" in lines
    assert "hiver-2026,radio-hiver,radio,total,declared_reach,2000000" in lines


def test_editing_keeps_the_campaign_and_reports_a_taken_slug(client, app, manager):
    first = create(client)
    client.post("/staff/campagnes/nouvelle", data={**CAMPAIGN_FORM, "slug": "autre"})
    response = client.post(f"/staff/campagnes/{first}/modifier", data={**CAMPAIGN_FORM, "slug": "autre"})
    assert response.status_code == 422
    assert "Une autre campagne utilise déjà cette adresse courte." in response.get_data(as_text=True)
    response = client.post(f"/staff/campagnes/{first}/modifier", data={**CAMPAIGN_FORM, "title_fr": "Nouveau titre"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session().get(Campaign, first).title_fr == "Nouveau titre"


def test_qr_codes_point_to_the_public_site_when_it_is_configured(client, app, manager):
    app.config["CAMPAIGN_PUBLIC_URL"] = "https://registre.sante.gouv.fr/"
    campaign_id = create(client)
    client.post(f"/staff/campagnes/{campaign_id}/emplacements/nouveau", data={
        "label": "Presse", "channel": "press", "locale": "fr", "code": "presse"})
    with app.app_context():
        placement_id = db.session().scalar(select(Placement.id).where(Placement.code == "presse"))
    svg = client.get(f"/staff/campagnes/{campaign_id}/emplacements/{placement_id}/qr.svg")
    assert b"QR code vers https://registre.sante.gouv.fr/c/presse" in svg.data
    assert "https://registre.sante.gouv.fr/c/presse" in client.get(f"/staff/campagnes/{campaign_id}").get_data(as_text=True)
