"""The literacy funnel through the pages: the placement code travels in the links (``?via=``)
from the vanity link to the quiz, and each step is counted once for its placement."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from campaigns.models import ReachCounter
from campaigns.modules import default_catalogue
from portal.database import db
from portal.learning.forms import field_name
from tests.campaigns.factories import make_campaign, make_placement

UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"
MODULE = default_catalogue().get("vos-donnees-de-sante", "fr")


@pytest.fixture
def placement(app):
    with app.app_context():
        session = db.session()
        make_placement(session, make_campaign(session, slug="votre-choix"), code="affiche1")
        session.commit()


def get(client, path, **headers):
    return client.get(path, headers={"User-Agent": UA, **headers})


def counts(app) -> dict[str, int]:
    with app.app_context():
        found: dict[str, int] = {}
        for row in db.session().scalars(select(ReachCounter)):
            found[row.step] = found.get(row.step, 0) + row.count
        return found


def links(page: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', page)]


def drawn_answers(page: str) -> dict[str, list[str]]:
    """All-right answers to the questions this quiz page drew."""
    names = set(re.findall(r'name="(q_[^"]+)"', page))
    return {field_name(q): sorted(q.correct_ids) for q in MODULE.questions if field_name(q) in names}


def walk(client, **headers) -> None:
    landing = get(client, get(client, "/c/affiche1", **headers).headers["Location"], **headers).get_data(as_text=True)
    module_url = next(u for u in links(landing) if u.startswith("/modules/vos-donnees-de-sante/"))
    assert module_url.endswith("?via=affiche1")
    module_page = get(client, module_url, **headers).get_data(as_text=True)
    lessons = [u for u in links(module_page) if "/lecons/" in u]
    assert lessons and all(u.endswith("?via=affiche1") for u in lessons)
    for lesson in lessons:  # reading every lesson counts one lesson step: the first lesson's
        page = get(client, lesson, **headers).get_data(as_text=True)
    quiz_url = next(u for u in links(page) if u.startswith("/modules/vos-donnees-de-sante/quiz"))
    assert quiz_url.endswith("?via=affiche1")
    quiz = get(client, quiz_url, **headers).get_data(as_text=True)
    assert '<input type="hidden" name="via" value="affiche1">' in quiz
    answers = {**drawn_answers(quiz), "via": "affiche1"}
    sent = client.post("/modules/vos-donnees-de-sante/quiz", data=answers, headers={"User-Agent": UA, **headers})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/resultat?via=affiche1")
    # the same answers sent again answer no quiz under way: nothing more is counted
    client.post("/modules/vos-donnees-de-sante/quiz", data=answers, headers={"User-Agent": UA, **headers})


def test_a_visit_from_a_placement_counts_each_step_once(client, app, placement):
    walk(client)
    assert counts(app) == {"arrival": 1, "lesson_viewed": 1, "quiz_started": 1, "quiz_completed": 1,
                           "quiz_passed": 1}


def test_a_visitor_who_asks_not_to_be_tracked_counts_nothing_but_is_served(client, app, placement):
    walk(client, **{"Sec-GPC": "1"})
    assert counts(app) == {}


def test_a_code_that_names_no_placement_is_ignored_and_a_malformed_one_is_not_carried(client, app, placement):
    assert get(client, "/modules/vos-donnees-de-sante/lecons/soigner?via=nulle-part").status_code == 200
    assert get(client, "/modules/vos-donnees-de-sante/quiz?via=nulle-part").status_code == 200
    page = get(client, "/modules/vos-donnees-de-sante/?via=" + "%3Cx%3E" * 50).get_data(as_text=True)
    assert "via=" not in page
    assert counts(app) == {}


def test_a_module_visited_without_a_code_counts_nothing(client, app, placement):
    get(client, "/modules/vos-donnees-de-sante/lecons/soigner")
    get(client, "/modules/vos-donnees-de-sante/quiz")
    assert counts(app) == {}
