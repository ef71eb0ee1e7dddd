"""Module pages for citizens: anonymous quizzes that leave only per-question sums behind."""

import html
import re

import sqlalchemy
from sqlalchemy import func, inspect, select

from campaigns.modules import default_catalogue
from portal.database import db
from portal.learning.forms import field_name

MODULE = "/modules/vos-donnees-de-sante"
CONTENT = default_catalogue().get("vos-donnees-de-sante", "fr")


def drawn(page: str):
    """The bank's questions that a quiz page drew."""
    names = set(re.findall(r'name="(q_[^"]+)"', page))
    return [q for q in CONTENT.questions if field_name(q) in names]


def open_quiz(client, prefix=""):
    """Open the quiz; return its drawn questions and all-right answers to them."""
    questions = drawn(client.get(prefix + MODULE + "/quiz").get_data(as_text=True))
    return questions, {field_name(q): sorted(q.correct_ids) for q in questions}


def row_counts(app) -> dict[str, int]:
    engine = db.engine(app)
    with engine.connect() as connection:
        return {
            table: connection.scalar(select(func.count()).select_from(sqlalchemy.table(table)))
            for table in inspect(engine).get_table_names() if table != "alembic_version"
        }


def test_the_module_list_shows_modules_for_everyone_and_for_professionals(client):
    page = html.unescape(client.get("/modules/").get_data(as_text=True))
    assert "Vos données de santé : à quoi servent-elles ?" in page
    assert "Le droit d'opposition et le registre national" in page
    english = client.get("/en/modules/").get_data(as_text=True)
    assert "Your health data: what are they used for?" in english


def test_lessons_are_read_and_marked_in_the_cookie_only(client, app):
    before = row_counts(app)
    response = client.get(MODULE + "/lecons/reutiliser")
    assert response.status_code == 200
    assert "Health Data Hub" in response.get_data(as_text=True)
    assert "lue" in client.get(MODULE + "/").get_data(as_text=True)
    assert row_counts(app) == before


def test_a_citizen_quiz_leaves_only_per_question_sums(client, app):
    before = row_counts(app)
    client.post(MODULE + "/pre-test", data={"q_pre_soins": "true"})
    questions, right = open_quiz(client)
    assert len(questions) == CONTENT.quiz_length
    response = client.post(MODULE + "/quiz", data=right)
    assert response.status_code == 302 and response.location.endswith("/resultat")
    after = row_counts(app)
    changed = {table for table in after if after[table] != before[table]}
    assert changed == {"quiz_item_aggregates"}
    assert after["quiz_item_aggregates"] == CONTENT.quiz_length
    columns = {c["name"] for c in inspect(db.engine(app)).get_columns("quiz_item_aggregates")}
    assert columns == {"id", "module_slug", "module_version", "question_id", "answers", "sum_credit",
                       "sum_credit_sq", "sum_rest", "sum_rest_sq", "sum_credit_rest"}
    result = client.get(MODULE + "/resultat").get_data(as_text=True)
    assert "Réussi : 100 %" in result
    if any(q.skill == "care-unchanged" for q in questions):  # the pre-test's skill was drawn
        assert "0 % avant les leçons, 100 % après" in result


def test_a_partly_right_answer_is_marked_so(app):
    for _ in range(50):  # fresh visitors until a draw holds the multiple-choice question
        client = app.test_client()
        questions, right = open_quiz(client)
        if "q_q_usages" in right:
            break
    one_of_two = len(questions) - 0.5
    client.post(MODULE + "/quiz", data=dict(right, q_q_usages=["a"]))
    result = client.get(MODULE + "/resultat").get_data(as_text=True)
    assert "en partie juste" in result
    assert f"Réussi : {int(100 * one_of_two / len(questions))} %" in result


def test_a_citizen_who_fails_sees_the_correction_and_may_retry_at_once(client):
    questions, _right = open_quiz(client)
    wrong = {field_name(q): sorted(q.option_ids - q.correct_ids)[:1] for q in questions}
    client.post(MODULE + "/quiz", data=wrong)
    result = html.unescape(client.get(MODULE + "/resultat").get_data(as_text=True))
    assert "Pas encore : 0 %" in result
    assert "(bonne réponse)" in result and questions[0].explanation in result
    assert "Réessayer le quiz" in result
    assert client.get(MODULE + "/quiz").status_code == 200


def test_an_unanswered_question_gets_a_clear_message_in_each_language(client):
    questions, right = open_quiz(client)
    first = field_name(questions[0])
    response = client.post(MODULE + "/quiz", data={first: right[first]})
    assert response.status_code == 422
    assert "Cochez au moins une réponse." in response.get_data(as_text=True) or \
        "Choisissez une réponse." in response.get_data(as_text=True)
    english = client.post("/en" + MODULE + "/quiz", data={first: right[first]})
    assert english.status_code == 422
    assert "Choose an answer." in english.get_data(as_text=True) or \
        "Tick at least one answer." in english.get_data(as_text=True)


def test_an_unknown_option_is_refused_without_storing_anything(client, app):
    before = row_counts(app)
    questions, right = open_quiz(client)
    response = client.post(MODULE + "/quiz", data=dict(right, **{field_name(questions[0]): "z"}))
    assert response.status_code == 422
    assert row_counts(app) == before


def test_answers_sent_without_an_open_quiz_lead_back_to_the_quiz(client, app):
    before = row_counts(app)
    response = client.post(MODULE + "/quiz", data={"q_q_soins": "false"})
    assert response.status_code == 302 and response.location.endswith(MODULE + "/quiz")
    after = row_counts(app)
    assert {t for t in after if after[t] != before[t]} <= {"web_sessions"}  # the message shown next, only
    assert "aucun quiz en cours" in html.unescape(client.get(MODULE + "/quiz").get_data(as_text=True))


def test_a_reload_shows_the_same_draw_until_the_quiz_is_answered(client):
    first, right = open_quiz(client)
    assert open_quiz(client)[0] == first
    client.post(MODULE + "/quiz", data=right)
    assert len(open_quiz(client)[0]) == CONTENT.quiz_length


def test_unknown_modules_and_lessons_are_404(client):
    assert client.get("/modules/nope/").status_code == 404
    assert client.get(MODULE + "/lecons/nope").status_code == 404


def test_the_result_page_before_any_quiz_sends_back_to_the_module(client):
    response = client.get(MODULE + "/resultat")
    assert response.status_code == 302


def test_a_professionals_quiz_asks_for_pro_sante_connect(client):
    response = client.get("/modules/informer-patient/quiz")
    assert response.status_code == 302
    assert "/pro/connexion" in response.location


def test_item_statistics_need_a_staff_sign_in_unless_opened_for_development(client, app):
    response = client.get("/gestion/modules/vos-donnees-de-sante/statistiques")
    assert response.status_code == 302 and "/staff/connexion" in response.location
    app.config["LEARNING_STATISTICS_OPEN"] = True
    page = client.get("/gestion/modules/vos-donnees-de-sante/statistiques").get_data(as_text=True)
    assert "Pas assez de réponses" in page


def test_browsing_the_modules_sets_no_cookie(client):
    for path in ("/modules/", MODULE + "/", "/en/modules/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path
