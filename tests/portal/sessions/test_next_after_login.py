"""Issue 17, line 2: after a sign-in, ``next`` leads only to a path of this site, on the
citizen, staff and professional sign-ins; a hostile ``next`` goes to the default page, never
to another site and never to a 500."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import requests
from hypothesis import given, strategies as st

from portal.redirects import safe_next
from tests.portal.sessions.conftest import citizen_login, make_staff, staff_login

HOSTILE = ["/\t/evil.example", "/\n/x", "//evil.example", "/\\evil.example",
           "https://evil.example/", "/\r\nSet-Cookie: a=b", "\t//evil.example", "/ /evil.example",
           "/\u3000/evil.example", "javascript:alert(1)", "/\x00/x"]


def browser_target(location: str, base: str) -> tuple[str, str]:
    """(host, path) a browser would go to: it drops tabs and line breaks and reads ``\\`` as ``/``."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    parts = urlsplit(urljoin(base + "/", cleaned))
    return parts.netloc, parts.path


def test_a_hostile_next_after_a_citizen_login_stays_on_this_site(portal):
    host = urlsplit(portal.url).netloc
    for target in HOSTILE:
        with requests.Session() as citizen:
            answer = citizen_login(citizen, portal, "demo-marie-corse", next_path=target)
            assert answer.status_code == 302, (repr(target), answer.status_code)
            assert browser_target(answer.headers["Location"], portal.url) == (host, "/mon-espace")


def test_a_hostile_next_after_a_staff_sign_in_stays_in_the_back_office(portal):
    host = urlsplit(portal.url).netloc
    for number, target in enumerate(HOSTILE + ["/mon-espace"]):
        email = make_staff(portal, f"agent{number}@sante.gouv.fr")  # one each: a TOTP code is good once
        with requests.Session() as agent:
            answer = staff_login(agent, portal, email, next_path=target)
            assert browser_target(answer.headers["Location"], portal.url) == (host, "/staff/"), repr(target)


def test_a_same_site_next_is_kept(portal):
    make_staff(portal, "agent@sante.gouv.fr")
    with requests.Session() as citizen:
        answer = citizen_login(citizen, portal, "demo-marie-corse", next_path="/en/my-space?tab=1")
        assert answer.headers["Location"] == "/en/my-space?tab=1"
    with requests.Session() as agent:
        answer = staff_login(agent, portal, "agent@sante.gouv.fr", next_path="/staff/audit")
        assert answer.headers["Location"] == "/staff/audit"


def test_a_hostile_next_on_the_professional_sign_in_is_dropped_before_it_is_kept(app, client):
    for target in HOSTILE:
        client.get("/pro/connexion", query_string={"next": target})
        with client.session_transaction() as session:
            kept = session.get("psc_after_login")
        assert kept is None or browser_target(kept, "http://localhost")[0] == "localhost", repr(target)


@given(st.text(max_size=40))
def test_safe_next_never_lets_a_browser_leave_the_site(target):
    kept = safe_next(target)
    if kept is not None:
        assert browser_target(kept, "https://registre.example")[0] == "registre.example"
        assert not any(ord(char) < 32 or ord(char) == 127 for char in kept)
