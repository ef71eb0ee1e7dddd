"""Download buttons show their label, not an icon alone, on the receipt and on "Mes données",
at phone and desktop widths."""

import pytest

from tests.e2e.test_citizen_journeys import JULIE, file_for_myself, log_in

# A button's label is shown when the button is wide enough to hold it: DSFR's icon-only buttons
# clip their text to the icon's width (the text stays for screen readers only).
LABEL_SHOWN = """button => {
  const range = document.createRange();
  range.selectNodeContents(button);
  const text = range.getBoundingClientRect(), box = button.getBoundingClientRect();
  return text.width > 20 && text.left >= box.left - 1 && text.right <= box.right + 1
    && button.scrollWidth <= button.clientWidth + 1;
}"""


def labels_hidden(page, selector: str) -> list[str]:
    buttons = page.locator(selector)
    assert buttons.count() > 0, f"no download button matches {selector}"
    return [buttons.nth(i).inner_text() for i in range(buttons.count())
            if not buttons.nth(i).evaluate(LABEL_SHOWN)]


@pytest.mark.parametrize("width", [375, 1280])
def test_every_download_button_shows_its_label(live_server, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "demo-julie-parent", "/mon-espace/opposition")
    file_for_myself(page, JULIE)
    page.locator("#reference").wait_for()
    assert labels_hidden(page, "main a[download].fr-btn") == []
    page.goto(live_server.url + "/mon-espace/mes-donnees")
    assert labels_hidden(page, "main a[download].fr-btn") == []
    json_button, pdf_button = page.locator("main a[download].fr-btn").all()[:2]
    assert json_button.inner_text() != pdf_button.inner_text()
