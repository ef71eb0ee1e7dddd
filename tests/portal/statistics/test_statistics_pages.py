"""The public statistics never show a count under 10: not on the page, not in the downloads."""

import csv
import io
import json
import re

import pytest

from portal.database import db
from portal.keys import keyring
from registry.identifiers import parse_identifier
from registry.oppositions import Filing, file_opposition, withdraw_opposition
from registry.purposes import Purpose
from tests.registry.nir_factory import make_nir


def file_group(app, n, *, sex=2, year=85, first_order=1, purposes=None, withdraw=0):
    with app.app_context():
        session = db.session()
        people = [parse_identifier(make_nir(sex, year, 5, "75", "056", first_order + i)) for i in range(n)]
        for identifier in people:
            file_opposition(session, keyring(), identifier, purposes, Filing(channel="post", actor="agent"))
        for identifier in people[:withdraw]:
            withdraw_opposition(session, keyring(), identifier)
        session.commit()


@pytest.fixture
def small_and_large_groups(app):
    file_group(app, 12)                                                     # 12 women aged 30-44, all purposes
    file_group(app, 3, sex=1, year=60, first_order=200, purposes=[Purpose.AI])  # 3 men aged 60-74, AI only
    file_group(app, 11, sex=1, year=90, first_order=300, withdraw=2)         # 11 men 30-44, 2 withdraw



def test_the_page_shows_large_counts_and_hides_small_ones(client, small_and_large_groups):
    page = client.get("/statistiques").get_data(as_text=True)
    tables = re.findall(r"<tbody>(.*?)</tbody>", page, re.S)
    cells = [c for t in tables for c in re.findall(r"<td>(.*?)</td>", t)]
    assert "&lt;10" in cells
    assert {"24", "21", "12", "11"} <= set(cells)  # in force, by purpose, women and men 30-44
    assert "26" not in cells and "s" in cells  # the 26 filings are masked: 26 - 24 = 2 withdrawals
    assert all(c in ("&lt;10", "s") or int(c) >= 10 for c in cells)
    assert 'role="img"' in page and "<svg" in page


def test_no_count_under_ten_reaches_the_json_download(client, small_and_large_groups):
    response = client.get("/statistiques/data.json")
    data = json.loads(response.get_data(as_text=True))
    values = [data["in_force"]]
    for month in data["months"]:
        values += [month[k] for k in ("filed", "changed", "withdrawn", "in_force")]
    values += [row["in_force"] for row in data["by_purpose"]]
    values += [row[s] for row in data["by_age_band_and_sex"] for s in ("female", "male")]
    assert all(v in ("<10", "masked") or v >= 10 for v in values)
    assert data["in_force"] == 24
    ages = {row["age_band"]: row for row in data["by_age_band_and_sex"]}
    assert ages["30-44"] == {"age_band": "30-44", "female": 12, "male": 11}
    assert ages["60-74"]["male"] == "<10"
    assert {row["purpose"]: row["in_force"] for row in data["by_purpose"]}["ai"] == 24


def test_no_count_under_ten_reaches_the_csv_download(client, small_and_large_groups):
    response = client.get("/en/statistics/data.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert all(r["value"] in ("<10", "masked") or int(r["value"]) >= 10 for r in rows)
    assert {"table": "by_age_band_and_sex", "key": "60-74", "series": "male", "value": "<10"} in rows


def test_the_english_twin_and_an_empty_registry(client):
    page = client.get("/en/statistics").get_data(as_text=True)
    assert '<html lang="en">' in page and "No opposition has been recorded yet." in page
    assert 'href="/statistiques"' in page  # the language switch leads to the French page
