"""The back-office in a real browser: sign-in with TOTP, lock after wrong codes, assisted filing,
and axe-core on every staff page and on the public statistics."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy.orm import Session

from registry.db import create_database_engine
from registry.identifiers import parse_identifier
from registry.models import utcnow
from registry.staff import create_staff_account
from tests.e2e.browser import check_page
from tests.e2e.conftest import live_config
from tests.registry.nir_factory import make_nir, spaced

PASSWORD = "un mot de passe assez long"
NIR = make_nir(2, 85, 2, "2A", "004", 123)


@pytest.fixture
def live_server_config(database_url) -> dict:
    return live_config(database_url, STAFF_BASE_DELAY=0, STAFF_LOCK_AFTER=3)


@pytest.fixture
def make_account(database_url):
    engine = create_database_engine(database_url)

    def make(role: str) -> str:
        email = f"{role}@sante.gouv.fr"
        with Session(engine) as session:
            create_staff_account(session, email, role, PASSWORD, actor="test")
            session.commit()
        return email

    yield make
    engine.dispose()


def choose(page, label: str) -> None:
    """Tick a radio button or checkbox the way a person does: the design system draws it on
    its label, which takes the click."""
    page.locator("label.fr-label", has_text=re.compile(f"^\\s*{re.escape(label)}\\s*$")).click()
    assert page.get_by_label(label, exact=True).is_checked()


def enter_password(page, live_server, email):
    page.goto(live_server.url + "/staff/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Continuer").click()


def sign_in_with_totp(page, live_server, email) -> pyotp.TOTP:
    """Password, then the QR enrolment page: read the key as the phone would, type its code."""
    enter_password(page, live_server, email)
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code à 6 chiffres").fill(totp.now())
    page.get_by_role("button", name="Se connecter").click()
    return totp


def test_staff_sign_in_with_password_and_totp_enrolment(live_server, page, console_errors, make_account):
    email = make_account("agent")
    page.goto(live_server.url + "/staff/connexion")
    check_page(page, console_errors)
    enter_password(page, live_server, email)
    assert page.get_by_role("heading", level=1).inner_text() == "Code à usage unique"
    assert page.locator("svg.segno").count() == 1
    check_page(page, console_errors)
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Se connecter").click()
    assert page.url == live_server.url + "/staff/"
    assert "Vous êtes connecté." in page.content()
    check_page(page, console_errors)
    page.get_by_role("button", name="Se déconnecter").click()
    assert "/staff/connexion" in page.url


def test_a_wrong_totp_repeated_until_the_account_locks(live_server, page, console_errors, make_account):
    email = make_account("agent")
    enter_password(page, live_server, email)
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    messages = []
    for _ in range(3):
        page.get_by_label("Code à 6 chiffres").fill(wrong)
        page.get_by_role("button", name="Se connecter").click()
        messages.append(page.locator(".fr-alert--error").inner_text())
    assert messages[0].startswith("Code incorrect") and messages[1].startswith("Code incorrect")
    assert "verrouillé" in messages[2]
    check_page(page, console_errors)
    enter_password(page, live_server, email)  # the right password no longer helps,
    # and the refusal reads as any other, so that it tells nothing about the account
    assert page.locator(".fr-alert--error").inner_text().startswith("Connexion refusée")
    assert page.url.endswith("/staff/connexion")


def fill_person(page, sex: str = "Femme") -> None:
    page.get_by_label("Numéro de sécurité sociale (NIR) de la personne").fill(spaced(NIR))
    choose(page, sex)
    for part, value in (("day", "14"), ("month", "02"), ("year", "1985")):
        page.locator(f"#birthdate-{part}").fill(value)


def tick_evidence(page) -> None:
    """The evidence box: its label carries a hint, so it is clicked by its ``for``."""
    page.locator("label[for=evidence]").click()
    assert page.locator("#evidence").is_checked()


def test_an_agent_files_for_a_person_and_prints_the_receipt(live_server, page, console_errors, make_account):
    sign_in_with_totp(page, live_server, make_account("agent"))
    page.get_by_role("link", name="Enregistrer une demande").first.click()
    check_page(page, console_errors)
    fill_person(page, "Homme")
    choose(page, "Par téléphone")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert "Le sexe ne correspond pas au numéro de sécurité sociale." in page.content()
    check_page(page, console_errors)  # the error state is accessible too
    choose(page, "Femme")
    choose(page, "S'opposer seulement à certaines réutilisations")
    choose(page, "Recherche scientifique")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert "/staff/recu/RNO-" in page.url
    reference = page.locator("[data-receipt-reference]").inner_text()
    assert re.fullmatch(r"RNO-(?:[A-Z2-9]{4}-){3}[A-Z2-9]{4}", reference)
    content = page.content()
    assert "Recherche scientifique" in content and "Par téléphone" in content
    assert "Ce récépissé indique ce que cette demande ajoute." in content
    assert NIR not in content
    check_page(page, console_errors)


def test_an_agent_withdraws_only_at_the_counter_with_the_identity_document(live_server, page, console_errors,
                                                                           make_account):
    sign_in_with_totp(page, live_server, make_account("agent"))
    page.goto(live_server.url + "/staff/depot")
    fill_person(page)
    choose(page, "Au guichet")
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert "/staff/recu/RNO-" in page.url
    page.get_by_role("link", name="Enregistrer une autre demande").click()
    fill_person(page)
    choose(page, "Par téléphone")
    choose(page, "Retirer son opposition")
    tick_evidence(page)
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert "Par téléphone, un agent peut seulement ajouter des usages" in page.content()
    check_page(page, console_errors)
    choose(page, "Au guichet")
    page.locator("label[for=evidence]").click()  # untick: no document checked
    assert not page.locator("#evidence").is_checked()
    page.get_by_role("button", name="Enregistrer la demande").click()
    error = page.locator("#evidence-erreur-1")
    assert error.inner_text().startswith("Pour réduire ou retirer une opposition, vérifiez la pièce d'identité")
    assert "evidence-erreur-1" in page.locator("#evidence").get_attribute("aria-describedby")
    check_page(page, console_errors)
    tick_evidence(page)
    page.get_by_role("button", name="Enregistrer la demande").click()
    assert "/staff/recu/RNO-" in page.url
    content = page.content()
    assert "Opposition retirée" in content and "Pièce d'identité vérifiée au guichet" in content
    check_page(page, console_errors)


def test_admin_pages_pass_axe(live_server, page, console_errors, make_account):
    sign_in_with_totp(page, live_server, make_account("registry_admin"))
    page.goto(live_server.url + "/staff/audit")
    check_page(page, console_errors)
    page.get_by_role("button", name="Vérifier toute la chaîne").click()
    assert "Chaîne intacte" in page.content()
    check_page(page, console_errors)
    page.goto(live_server.url + "/staff/entrepots")
    check_page(page, console_errors)
    assert page.goto(live_server.url + "/staff/depot").status == 403


def test_the_statistics_page_passes_axe_in_both_languages(live_server, page, console_errors, database_url, keyring):
    from registry.statistics import record_effective_change

    engine = create_database_engine(database_url)
    yesterday = utcnow() - dt.timedelta(days=1)  # only closed days are published
    with Session(engine) as session:  # a group large enough to show, beside groups shown as <10
        for order in range(1, 13):
            identifier = parse_identifier(make_nir(1, 78, 11, "99", "350", order))
            record_effective_change(session, identifier, 0, 255, yesterday, ever_opposed=False)
        session.commit()
    engine.dispose()
    page.goto(live_server.url + "/statistiques")
    assert page.locator("svg[role=img]").count() == 3
    assert "10" in page.locator("table").first.inner_text() and "<10" in page.content().replace("&lt;", "<")
    check_page(page, console_errors)
    page.goto(live_server.url + "/en/statistics")
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, console_errors)
