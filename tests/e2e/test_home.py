from tests.e2e.browser import check_page


def test_the_home_page_in_french_passes_axe_without_csp_violations(live_server, page, console_errors):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Dites non, une seule fois")
    assert page.locator(".fr-header .fr-logo").count() == 1
    check_page(page, console_errors)


def test_the_language_selector_leads_to_the_english_home_page(live_server, page, console_errors):
    page.goto(live_server.url + "/")
    page.locator("header").get_by_role("link", name="English").click()
    assert page.url == live_server.url + "/en/"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Say no, once, to the reuse of your health data"
    check_page(page, console_errors)


def test_the_design_system_is_served_without_its_analytics_module(live_server, page):
    response = page.request.get(live_server.url + "/static/dsfr/dsfr.min.css")
    assert response.ok and "text/css" in response.headers["content-type"]
    assert page.request.get(live_server.url + "/static/dsfr/analytics/analytics.module.min.js").status == 404
