"""Issue 17, lines 5 and 7: filing submissions are counted per account and per address over
every filing form and both languages; behind trusted proxies the limits key on the client."""

from __future__ import annotations

import itertools

import pytest
import requests

from tests.portal.sessions.conftest import citizen_login, csrf_of

FORMS = ["/mon-espace/opposition", "/en/mon-espace/opposition", "/mon-espace/procuration", "/en/mon-espace/procuration"]


@pytest.fixture
def portal_config(portal_config):
    return {**portal_config, "FILING_RATE_LIMIT": "4 per minute", "TRUSTED_PROXIES": 1}


def submit(http: requests.Session, portal, path: str, client: str) -> int:
    """Post the form at ``path`` (with a number that is not valid: the limit counts submissions)
    as if from ``client``, through one proxy."""
    headers = {"X-Forwarded-For": client}
    page = http.get(portal.url + path, headers=headers, timeout=10).text
    answer = http.post(portal.url + path, headers=headers, allow_redirects=False, timeout=10,
                       data={"csrf_token": csrf_of(page), "nir": "1"})
    return answer.status_code


def test_the_filing_limit_counts_every_form_and_language_together(portal):
    with requests.Session() as citizen:
        citizen_login(citizen, portal, "demo-marie-corse")
        answers = [submit(citizen, portal, path, "198.51.100.7") for path in itertools.islice(itertools.cycle(FORMS), 8)]
    assert answers[:4].count(429) == 0 and answers[4:] == [429] * 4


def test_the_filing_limit_follows_the_account_from_address_to_address(portal):
    with requests.Session() as citizen:
        citizen_login(citizen, portal, "demo-marie-corse")
        answers = [submit(citizen, portal, FORMS[n % 4], f"198.51.100.{n + 1}") for n in range(6)]
    assert 429 not in answers[:4] and answers[4:] == [429, 429]


def test_the_filing_limit_counts_every_account_of_one_address(portal):
    marie, karim = requests.Session(), requests.Session()
    citizen_login(marie, portal, "demo-marie-corse")
    citizen_login(karim, portal, "demo-karim-maroc")
    answers = [submit(browser, portal, FORMS[0], "203.0.113.9") for browser in (marie, karim, marie, karim, marie, karim)]
    assert 429 not in answers[:4] and answers[4:] == [429, 429]


@pytest.mark.parametrize("trusted, second_client_limited", [(1, False), (0, True)])
def test_behind_a_trusted_proxy_the_login_limit_keys_on_the_client(portal_config, trusted, second_client_limited):
    from portal import create_app
    from portal.database import db
    from tests.e2e.conftest import LiveServer

    app = create_app({**portal_config, "TRUSTED_PROXIES": trusted, "LOGIN_RATE_LIMIT": "2 per minute"})
    with LiveServer(app) as server:
        def login_from(client: str) -> int:
            return requests.get(server.url + "/connexion", headers={"X-Forwarded-For": client},
                                allow_redirects=False, timeout=10).status_code

        assert [login_from("198.51.100.1") for _ in range(3)] == [302, 302, 429]
        assert (login_from("198.51.100.2") == 429) is second_client_limited
    db.dispose(app)
