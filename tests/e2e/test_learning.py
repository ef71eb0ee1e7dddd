"""Browser journeys through the literacy modules, with axe-core on every page of them.

A citizen completes a quiz and nothing about them is stored; a professional logs in with Pro
Santé Connect (a real OIDC provider process), completes a module, downloads the attestation and
verifies it on the public page.
"""

import re

import pytest
import sqlalchemy
from sqlalchemy import func, inspect, select

from campaigns.modules import default_catalogue
from portal.learning.forms import field_name
from registry.db import create_database_engine
from tests.e2e.browser import AXE_SCRIPT, check_page
from tests.e2e.conftest import live_config
from tests.prosanteconnect import DEMO_PROFESSIONAL, psc_config, psc_provider  # noqa: F401


@pytest.fixture
def live_server_config(database_url, psc_provider):  # noqa: F811
    return live_config(database_url, LEARNING_STATISTICS_OPEN=True, **psc_config(psc_provider))


def row_counts(database_url) -> dict[str, int]:
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            return {table: connection.scalar(select(func.count()).select_from(sqlalchemy.table(table)))
                    for table in inspect(engine).get_table_names() if table != "alembic_version"}
    finally:
        engine.dispose()


def sealed_sessions_hold(database_url, *fragments: bytes) -> bool:
    """Whether any stored session shows one of ``fragments`` in clear."""
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            blobs = connection.execute(sqlalchemy.text("SELECT sealed FROM web_sessions")).scalars().all()
    finally:
        engine.dispose()
    return any(fragment in bytes(blob) for blob in blobs for fragment in fragments)


def follow(page, locator) -> None:
    """Click something that loads a new page, and wait until that page has loaded."""
    with page.expect_navigation():
        locator.click()


def answer(page, answers: dict[str, list[str]]) -> None:
    for name, values in answers.items():
        for value in values:
            page.locator(f"input[name='{name}'][value='{value}']").check(force=True)


def drawn_questions(page, slug: str, locale: str = "fr"):
    """The questions of the bank that this quiz page drew, in page order."""
    by_field = {field_name(q): q for q in default_catalogue().get(slug, locale).questions}
    names = page.locator("form input[name^='q_']").evaluate_all("inputs => inputs.map(i => i.name)")
    return [by_field[name] for name in dict.fromkeys(names)]


def answer_drawn_quiz(page, slug: str, *, right: bool, locale: str = "fr"):
    """Answer every drawn question all right, or all wrong; return the drawn questions."""
    drawn = drawn_questions(page, slug, locale)
    for question in drawn:
        wrong = sorted(question.option_ids - question.correct_ids)
        chosen = sorted(question.correct_ids) if right else (wrong if question.type == "multiple" else wrong[:1])
        answer(page, {field_name(question): chosen})
    return drawn


def test_a_citizen_completes_a_quiz_and_no_row_about_them_exists(live_server, page, console_errors, database_url):
    before = row_counts(database_url)
    page.goto(live_server.url + "/modules/")
    check_page(page, console_errors)
    follow(page, page.get_by_role("link", name="Vos données de santé : à quoi servent-elles ?"))
    check_page(page, console_errors)
    follow(page, page.get_by_role("link", name="Faire le pré-test"))
    check_page(page, console_errors)
    answer(page, {"q_pre_soins": ["false"]})
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert "Pré-test terminé : 100 %" in page.content()
    follow(page, page.get_by_role("link", name="D'abord pour vous soigner"))
    check_page(page, console_errors)
    page.goto(live_server.url + "/modules/vos-donnees-de-sante/quiz")
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert page.get_by_role("alert").inner_text().startswith("Répondez à toutes les questions")
    check_page(page, console_errors)
    drawn = answer_drawn_quiz(page, "vos-donnees-de-sante", right=True)
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert page.url.endswith("/modules/vos-donnees-de-sante/resultat")
    assert "Réussi : 100 %" in page.get_by_role("heading", level=2).first.inner_text()
    assert page.get_by_text("juste", exact=True).count() == len(drawn)
    check_page(page, console_errors)
    after = row_counts(database_url)
    # Only the per-question sums, and the browser's session (its form tokens), sealed and expiring
    assert {table for table in after if after[table] != before[table]} <= {"quiz_item_aggregates", "web_sessions"}
    assert after["quiz_item_aggregates"] > before["quiz_item_aggregates"]
    assert not sealed_sessions_hold(database_url, drawn[0].id.encode(), b"vos-donnees-de-sante")


def test_a_professional_completes_a_module_downloads_and_verifies_the_attestation(
        live_server, page, console_errors, context):
    page.goto(live_server.url + "/pro/")
    check_page(page, console_errors)
    follow(page, page.get_by_role("link", name="Se connecter avec Pro Santé Connect"))
    page.get_by_role("button", name=DEMO_PROFESSIONAL["sub"]).click()
    page.wait_for_url(live_server.url + "/pro/")
    assert "Bonjour CAMILLE MARTIN" in page.content()
    check_page(page, console_errors)

    page.goto(live_server.url + "/modules/droit-opposition-registre/")
    for lesson in ("Qu'est-ce que la réutilisation secondaire ?", "Ce que dit le droit",
                   "Ce que fait le registre, et ce qu'il ne fait pas"):
        follow(page, page.get_by_role("link", name=lesson))
        check_page(page, console_errors)
        page.goto(live_server.url + "/modules/droit-opposition-registre/")
    assert page.locator(".fr-badge--success").count() == 3
    follow(page, page.get_by_role("link", name="Passer le quiz"))
    check_page(page, console_errors)
    answer_drawn_quiz(page, "droit-opposition-registre", right=True)
    follow(page, page.get_by_role("button", name="Valider mes réponses"))
    assert "Réussi : 100 %" in page.content()
    check_page(page, console_errors)
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", page.locator(".fr-callout").inner_text()).group(0)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger l'attestation (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"

    verifier = context.browser.new_context(locale="fr-FR")
    verifier.add_init_script(path=str(AXE_SCRIPT))
    public = verifier.new_page()
    try:
        public.goto(live_server.url + "/attestations/verification")
        check_page(public, [])
        public.get_by_label("Code de vérification").fill(code)
        public.get_by_label("Score indiqué sur l'attestation (en %)").fill("100")
        follow(public, public.get_by_role("button", name="Vérifier"))
        assert "Attestation authentique" in public.content()
        assert "899700218896" in public.content()
        check_page(public, [])
    finally:
        verifier.close()


def test_the_english_quiz_and_the_item_statistics_pass_axe(live_server, page, console_errors):
    page.goto(live_server.url + "/en/modules/vos-donnees-de-sante/quiz")
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, console_errors)
    answer_drawn_quiz(page, "vos-donnees-de-sante", right=True, locale="en")
    follow(page, page.get_by_role("button", name="Submit my answers"))
    assert "Passed: 100 %" in page.content()
    check_page(page, console_errors)
    page.goto(live_server.url + "/en/gestion/modules/vos-donnees-de-sante/statistiques")
    bank = default_catalogue().get("vos-donnees-de-sante", "en").questions
    assert page.get_by_text("Not enough answers").count() == len(bank)
    check_page(page, console_errors)


def test_the_last_lesson_leads_to_the_quiz(live_server, page, console_errors):
    page.goto(live_server.url + "/modules/vos-donnees-de-sante/lecons/dire-non")
    follow(page, page.get_by_role("link", name="Passer le quiz"))
    assert page.url == live_server.url + "/modules/vos-donnees-de-sante/quiz"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Quiz")
    check_page(page, console_errors)
