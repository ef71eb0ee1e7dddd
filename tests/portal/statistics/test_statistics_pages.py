"""The public statistics never show a count under 10, nor an exact count, nor anything of the
day in progress: not on the page, not in the downloads."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from babel.dates import format_date

from portal.database import db
from registry.daily_filings import paris_day
from registry.identifiers import parse_identifier
from registry.models import utcnow
from registry.purposes import ALL_PURPOSES_MASK, Purpose
from registry.statistics import record_effective_change
from tests.registry.nir_factory import make_nir


def yesterday() -> dt.date:
    return paris_day(utcnow()) - dt.timedelta(days=1)


def file_group(app, n, *, sex=2, year=85, first_order=1, mask=ALL_PURPOSES_MASK, withdraw=0, when=None):
    """Changes of the opposition in force of ``n`` people, as the registry records them: on a
    closed day (yesterday, Paris time) unless ``when`` is given."""
    day = yesterday()
    when = when or dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
    with app.app_context():
        session = db.session()
        people = [parse_identifier(make_nir(sex, year, 5, "75", "056", first_order + i)) for i in range(n)]
        for identifier in people:
            record_effective_change(session, identifier, 0, mask, when, ever_opposed=False)
        for identifier in people[:withdraw]:
            record_effective_change(session, identifier, mask, 0, when, ever_opposed=True)
        session.commit()


@pytest.fixture
def small_and_large_groups(app):
    file_group(app, 12)                                                           # 12 women aged 30-44, all purposes
    file_group(app, 3, sex=1, year=60, first_order=200, mask=Purpose.AI.bit)      # 3 men aged 60-74, AI only
    file_group(app, 11, sex=1, year=90, first_order=300, withdraw=2)              # 11 men 30-44, 2 withdraw
    file_group(app, 6, sex=2, year=70, first_order=400, when=utcnow())            # 6 women today: not yet published


def test_the_page_shows_large_counts_rounded_and_hides_small_ones(client, small_and_large_groups):
    page = client.get("/statistiques").get_data(as_text=True)
    tables = re.findall(r"<tbody>(.*?)</tbody>", page, re.S)
    cells = [c for t in tables for c in re.findall(r"<td>(.*?)</td>", t)]
    assert "&lt;10" in cells
    # in force 24 -> 25, by purpose 24 (AI) -> 25 and 21 -> 20, women and men 30-44 12 and 11 -> 10
    assert {"25", "20", "10"} <= set(cells)
    assert not {"24", "21", "12", "11"} & set(cells)  # no exact figure
    assert "26" not in cells and "s" in cells  # the 26 filings are masked: 26 - 24 = 2 withdrawals
    assert all(c in ("&lt;10", "s") or (int(c) >= 10 and int(c) % 5 == 0) for c in cells)
    assert "30" not in cells  # 24 + the 6 of today: today is not published
    assert 'role="img"' in page and "<svg" in page


def test_the_page_explains_effective_changes_closed_days_and_rounding(client, small_and_large_groups):
    day = yesterday()
    page = client.get("/statistiques").get_data(as_text=True)
    assert "plusieurs oppositions sont enregistrées pour une même personne, elle ne compte qu'une fois" in page
    assert f"hier ({format_date(day, 'long', locale='fr')})" in page
    assert "arrondi au multiple de 5 le plus proche" in page and "affiché « <10 »" in page
    assert f"Oppositions en vigueur à la fin de la journée du {format_date(day, 'long', locale='fr')} : 25" in page
    english = client.get("/en/statistics").get_data(as_text=True)
    assert "several opt-outs are filed for the same person, that person counts once" in english
    assert f"yesterday ({format_date(day, 'long', locale='en_GB')})" in english
    assert "rounded to the nearest multiple of 5" in english
    assert f"Opt-outs in force at the end of {format_date(day, 'long', locale='en_GB')}: 25" in english


def test_no_count_under_ten_nor_exact_reaches_the_json_download(client, small_and_large_groups):
    response = client.get("/statistiques/data.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["closed_until"] == yesterday().isoformat() and data["rounding"] == 5
    values = [data["in_force"]]
    for month in data["months"]:
        values += [month[k] for k in ("filed", "changed", "withdrawn", "in_force")]
    values += [row["in_force"] for row in data["by_purpose"]]
    values += [row[s] for row in data["by_age_band_and_sex"] for s in ("female", "male")]
    assert all(v in ("<10", "masked") or (v >= 10 and v % 5 == 0) for v in values)
    assert data["in_force"] == 25  # 24 on the closed days; the 6 of today are not in
    assert data["months"][-1]["month"] == yesterday().strftime("%Y-%m")
    ages = {row["age_band"]: row for row in data["by_age_band_and_sex"]}
    assert ages["30-44"] == {"age_band": "30-44", "female": 10, "male": 10}
    assert ages["60-74"]["male"] == "<10"
    assert {row["purpose"]: row["in_force"] for row in data["by_purpose"]}["ai"] == 25


def test_no_count_under_ten_nor_exact_reaches_the_csv_download(client, small_and_large_groups):
    response = client.get("/en/statistics/data.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    metadata = {r["key"]: r["value"] for r in rows if r["table"] == "metadata"}
    assert metadata == {"closed_until": yesterday().isoformat(), "rounding": "5", "threshold": "10",
                        "synthetic": "False"}  # no demonstration history here
    figures = [r for r in rows if r["table"] != "metadata"]
    assert all(r["value"] in ("<10", "masked") or (int(r["value"]) >= 10 and int(r["value"]) % 5 == 0)
               for r in figures)
    assert {"table": "by_age_band_and_sex", "key": "60-74", "series": "male", "value": "<10"} in rows
    assert {"table": "total", "key": "all", "series": "in_force", "value": "25"} in rows


def test_the_english_twin_and_an_empty_registry(client):
    page = client.get("/en/statistics").get_data(as_text=True)
    assert '<html lang="en">' in page and "No opt-out has been recorded yet." in page
    assert 'href="/statistiques"' in page  # the language switch leads to the French page


def test_filings_of_the_day_are_not_published_before_it_closes(app, client):
    file_group(app, 12, when=utcnow())
    data = json.loads(client.get("/statistiques/data.json").get_data(as_text=True))
    assert data["in_force"] == "<10" and data["months"] == []
    assert data["closed_until"] == yesterday().isoformat()
