"""Legal and trust pages: reachable from the footer in both languages, with true facts."""

import re

import pytest

FOOTER_PAGES = {
    "fr": ["/plan-du-site", "/accessibilite", "/mentions-legales", "/donnees-personnelles", "/cookies", "/aide/",
           "/facile-a-lire/comprendre"],
    "en": ["/en/plan-du-site", "/en/accessibilite", "/en/mentions-legales", "/en/donnees-personnelles",
           "/en/cookies", "/en/aide/", "/en/facile-a-lire/comprendre"],
}


def footer_links(page: str) -> list[str]:
    footer = page[page.index('id="pied-de-page"'):]
    return re.findall(r'class="fr-footer__bottom-link" href="([^"]+)"', footer)


@pytest.mark.parametrize(("home", "lang"), [("/", "fr"), ("/en/", "en")])
def test_the_footer_links_every_trust_page_in_the_pages_language(client, home, lang):
    links = footer_links(client.get(home).get_data(as_text=True))
    for path in FOOTER_PAGES[lang]:
        assert path in links
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "expected"), [
    ("/mentions-legales", ["Éditeur du site", "Directeur ou directrice de la publication", "Hébergement"]),
    ("/en/mentions-legales", ["Publisher", "Director of publication", "Hosting"]),
    ("/donnees-personnelles", ["Responsable du traitement", "Base légale", "article 71 du règlement (UE) 2025/327",
                               "Ce que nous ne gardons jamais", "Délégué à la protection des données",
                               "article 77 du RGPD", "cnil.fr/fr/plaintes", "180 jours"]),
    ("/en/donnees-personnelles", ["Controller", "Legal basis", "article 71 of Regulation (EU) 2025/327",
                                  "What we never keep", "Data protection officer", "GDPR article 77", "180 days"]),
    ("/accessibilite", ["RGAA", "version 4.1", "non conforme", "Voies de recours", "Défenseur des droits"]),
    ("/en/accessibilite", ["RGAA", "version 4.1", "not compliant", "Remedies"]),
])
def test_the_trust_pages_hold_what_french_law_asks_for(client, path, expected):
    page = client.get(path).get_data(as_text=True)
    for text in expected:
        assert text in page, text


def test_unknown_operator_facts_are_marked_as_settings_to_complete(client):
    page = client.get("/mentions-legales").get_data(as_text=True)
    for name in ("OPERATOR_NAME", "PUBLICATION_DIRECTOR", "HOST_NAME", "HOST_ADDRESS"):
        assert f"REGISTRE_{name}" in page
    assert "À compléter" in page


def test_configured_operator_facts_replace_the_marks(app, client):
    app.config.update(OPERATOR_NAME="Ministère de la santé (essai)", DPO_CONTACT="dpd@example.org")
    assert "Ministère de la santé (essai)" in client.get("/mentions-legales").get_data(as_text=True)
    privacy = client.get("/en/donnees-personnelles").get_data(as_text=True)
    assert "dpd@example.org" in privacy and "REGISTRE_DPO_CONTACT" not in privacy


def test_the_cookies_page_names_the_cookie_the_app_really_sets(app, client):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the form puts its token in the session
    response = client.get("/aide/contact")
    set_cookie = response.headers.get("Set-Cookie", "")
    name = set_cookie.split("=", 1)[0]
    assert name, "a page with a form sets the session cookie (CSRF token)"
    for path in ("/cookies", "/en/cookies"):
        assert f"<code>{name}</code>" in client.get(path).get_data(as_text=True)
    assert all(header.split("=", 1)[0] == name for header in response.headers.getlist("Set-Cookie"))


def test_the_footer_states_the_accessibility_level_of_the_statement(app, client):
    assert "Accessibilité : non conforme" in client.get("/").get_data(as_text=True)
    app.config["ACCESSIBILITY_STATUS"] = "partiellement_conforme"
    assert "Accessibility: partially compliant" in client.get("/en/").get_data(as_text=True)


def test_the_sitemap_links_every_page_of_the_site(client):
    page = client.get("/en/plan-du-site").get_data(as_text=True)
    for path in ("/en/", "/en/comprendre", "/en/mon-espace", "/en/mon-espace/mes-donnees", "/en/aide/",
                 "/en/aide/autres-demarches", "/en/aide/contact", "/en/facile-a-lire/demarche", "/en/cookies"):
        assert f'href="{path}"' in page, path
