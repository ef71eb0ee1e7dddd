"""One label per purpose, from one place: the citizen pages read the shared table, and the staff
filing form, the paper form and the statistics page name each purpose with its words."""

import html

import pytest

from portal.citizen import labels as citizen_labels
from portal.labels import PURPOSE_LABELS
from registry.purposes import Purpose
from tests.pdf_text import pdf_text


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_citizen_labels_are_the_shared_table():
    assert citizen_labels.PURPOSE_LABELS is PURPOSE_LABELS and set(PURPOSE_LABELS) == set(Purpose)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_staff_form_the_statistics_and_the_paper_form_use_the_shared_labels(app, client, runner, agent, lang):
    from flask_babel import force_locale

    assert runner.invoke(args=["registry", "seed-demo"]).exit_code == 0  # figures for the statistics

    with app.test_request_context("/"), force_locale(lang):
        expected = [str(PURPOSE_LABELS[p]) for p in Purpose]
    statistics = shown(client.get("/en/statistics" if lang == "en" else "/statistiques"))
    paper = " ".join(pdf_text(client.get("/en/aide/formulaire-papier.pdf" if lang == "en" else "/aide/formulaire-papier.pdf").data).split())
    staff_form = shown(client.get("/staff/depot"))
    for label in expected:
        assert label in statistics, label
        assert label in paper, label
        if lang == "fr":  # the back-office speaks French
            assert label in staff_form, label
