"""English pages write dates the British way, as their spelling is British: "4 December 2026",
never "December 4, 2026"; French pages keep "4 décembre 2026"."""

import datetime as dt
import re

from registry.daily_filings import paris_day
from registry.models import utcnow

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def test_english_pages_write_british_dates(client):
    yesterday = paris_day(utcnow()) - dt.timedelta(days=1)
    english = client.get("/en/statistics").get_data(as_text=True)
    assert f"{yesterday.day} {yesterday.strftime('%B')} {yesterday.year}" in english
    assert not re.search(rf"({MONTHS}) \d{{1,2}}, \d{{4}}", english)
    french = client.get("/statistiques").get_data(as_text=True)
    assert re.search(rf"{yesterday.day} \w+ {yesterday.year}", french) and yesterday.strftime("%B") not in french


def test_english_pages_still_say_they_are_english(client):
    page = client.get("/en/statistics").get_data(as_text=True)
    assert '<html lang="en">' in page and 'hreflang="fr"' in page
