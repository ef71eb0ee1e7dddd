"""The statistics page on the embedded default: after ``flask registry seed-demo`` (what ``./run``
does) every chart has its bars, and the page says the figures are made up, in French and
English, at phone and desktop widths."""

import pytest

from tests.e2e.browser import check_page

BARS = "() => [...document.querySelectorAll('svg.statistics-chart')].map(svg =>" \
       " [...svg.querySelectorAll('rect')].filter(r => r.getAttribute('y') !== '4' && +r.getAttribute('width') > 0).length)"


@pytest.fixture
def seeded(live_server):
    result = live_server.app.test_cli_runner().invoke(args=["registry", "seed-demo"])
    assert result.exit_code == 0, result.output
    return live_server


@pytest.mark.parametrize(("path", "width", "label"), [
    ("/statistiques", 375, "Données de démonstration"), ("/en/statistics", 1280, "Demonstration data"),
])
def test_the_demo_statistics_fill_every_chart_and_say_they_are_synthetic(seeded, page, console_errors, path,
                                                                         width, label):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(seeded.url + path)
    months, purposes, ages = page.evaluate(BARS)
    assert months >= 18 and purposes == 8 and ages == 12
    assert page.locator("#donnees-synthetiques").inner_text().startswith(label)
    assert "<10" not in page.locator("#graphique-finalites-tableau").inner_text()
    check_page(page, console_errors)
    data = page.request.get(f"{seeded.url}{path}/data.json").json()
    assert data["synthetic"] is True
