"""Wording a reader notices: in English no space before a colon and dates the British way; each
purpose has one label, the same on the citizen form and on the statistics page."""

import re

from tests.e2e.test_citizen_journeys import JULIE, file_for_myself, log_in

SPACED_COLON = r".{0,20}\w :.{0,20}"
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def visible_text(page) -> str:
    return page.locator("body").inner_text()


def test_english_pages_have_no_space_before_a_colon_and_british_dates(live_server, page):
    log_in(page, live_server, "demo-julie-parent", "/en/mon-espace/opposition")
    file_for_myself(page, JULIE)
    page.locator("#reference").wait_for()
    receipt = visible_text(page)
    assert re.search(rf"\b\d{{1,2}} ({MONTHS}) \d{{4}}", receipt), receipt
    assert not re.search(rf"({MONTHS}) \d{{1,2}}, \d{{4}}", receipt)
    for path in ("/en/mon-espace", "/en/mon-espace/mes-donnees", "/en/", "/en/statistics", "/en/cookies"):
        page.goto(live_server.url + path)
        text = visible_text(page)
        spaced = re.findall(SPACED_COLON, text)
        assert not spaced, f"{path}: {spaced}"
    page.goto(live_server.url + "/en/mon-espace")
    assert page.get_by_role("link", name="Download everything, or delete my account").count() == 1


def test_each_purpose_has_the_same_label_on_the_form_and_the_statistics(live_server, page):
    assert live_server.app.test_cli_runner().invoke(args=["registry", "seed-demo"]).exit_code == 0
    log_in(page, live_server, "demo-julie-parent", "/mon-espace/opposition")
    form_labels = {t.strip() for t in page.locator("main fieldset .fr-checkbox-group label").all_inner_texts()}
    page.goto(live_server.url + "/statistiques")
    statistics_labels = {t.strip() for t in page.locator("#graphique-finalites-tableau tbody th").all_inner_texts()}
    assert len(statistics_labels) == 8 and statistics_labels <= {label.split("\n")[0] for label in form_labels}
