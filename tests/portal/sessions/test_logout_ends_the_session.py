"""Issue 17, line 1: a session lives on the server, so ending it there ends it for every copy
of its cookie; the cookie and the store hold nothing readable about the person."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import requests
from sqlalchemy import select

from portal.database import db
from registry.session_store import StoredSession
from tests.portal.sessions.conftest import PASSWORD, copy_of, csrf_of, citizen_login, make_staff, staff_login


def test_a_cookie_copied_before_the_staff_logout_opens_nothing_after_it(portal):
    email = make_staff(portal, "agent@sante.gouv.fr", role="registry_admin")
    with requests.Session() as agent:
        staff_login(agent, portal, email)
        thief = copy_of(agent)
        assert thief.get(portal.url + "/staff/audit", allow_redirects=False, timeout=10).status_code == 200
        page = agent.get(portal.url + "/staff/", timeout=10).text
        agent.post(portal.url + "/staff/deconnexion", data={"csrf_token": csrf_of(page)}, timeout=10)
        answer = thief.get(portal.url + "/staff/audit", allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and "/staff/connexion" in answer.headers["Location"]


def test_a_cookie_copied_before_the_citizen_logout_opens_nothing_after_it(portal):
    with requests.Session() as citizen:
        assert citizen_login(citizen, portal, "demo-marie-corse").status_code == 302
        thief = copy_of(citizen)
        assert "Bonjour Marie" in thief.get(portal.url + "/mon-espace", timeout=10).text
        page = citizen.get(portal.url + "/mon-espace", timeout=10).text
        citizen.post(portal.url + "/deconnexion", data={"csrf_token": csrf_of(page)}, allow_redirects=False, timeout=10)
        answer = thief.get(portal.url + "/mon-espace", allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and "/connexion" in answer.headers["Location"]


@pytest.mark.parametrize("command", [
    ["staff", "reset-password", "agent@sante.gouv.fr"],
    ["staff", "reset-totp", "agent@sante.gouv.fr"],
    ["staff", "unlock", "agent@sante.gouv.fr"],
    ["staff", "disable", "agent@sante.gouv.fr"],
])
def test_a_reset_an_unlock_or_a_disable_ends_every_session_of_the_account(portal, command):
    email = make_staff(portal, "agent@sante.gouv.fr")
    other = make_staff(portal, "other@sante.gouv.fr")
    browsers = [requests.Session() for _ in range(3)]
    for browser in browsers[:2]:
        staff_login(browser, portal, email)
    staff_login(browsers[2], portal, other)
    new_password = "un tout nouveau mot de passe"
    result = portal.app.test_cli_runner().invoke(args=command, input=f"{new_password}\n{new_password}\n")
    assert result.exit_code == 0, result.output
    answers = [b.get(portal.url + "/staff/", allow_redirects=False, timeout=10).status_code for b in browsers]
    assert answers == [302, 302, 200]  # both of the account's sessions end; the other account's goes on


def test_the_cli_commands_name_an_unknown_account_without_a_traceback(portal):
    result = portal.app.test_cli_runner().invoke(args=["staff", "disable", "nobody@sante.gouv.fr"])
    assert result.exit_code == 1 and "No staff account has this email address." in result.output
    assert "Traceback" not in result.output


def test_a_staff_session_ends_eight_hours_after_its_sign_in_however_active(app, client, runner):
    from tests.portal.staff.conftest import totp_now

    runner.invoke(args=["staff", "create", "agent@sante.gouv.fr", "--role", "agent"], input=f"{PASSWORD}\n{PASSWORD}\n")
    client.post("/staff/connexion", data={"email": "agent@sante.gouv.fr", "password": PASSWORD})
    client.post("/staff/connexion/code", data={"code": totp_now(app, "agent@sante.gouv.fr")})
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["staff_since"] -= app.config["STAFF_SESSION_MAX_AGE"] - 60  # still within the 8 hours
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["staff_since"] -= 61  # now past them, though the last request was a moment ago
    answer = client.get("/staff/")
    assert answer.status_code == 302 and "/staff/connexion" in answer.location
    assert app.config["STAFF_SESSION_MAX_AGE"] == 8 * 3600


def test_neither_the_cookie_nor_the_store_holds_the_identity_claims(portal):
    with requests.Session() as citizen:
        citizen_login(citizen, portal, "demo-marie-corse")
        assert "Bonjour Marie" in citizen.get(portal.url + "/mon-espace", timeout=10).text
        cookie = citizen.cookies.get(portal.app.config["SESSION_COOKIE_NAME"])
    with portal.app.app_context():
        stored = db.session().scalars(select(StoredSession)).all()
    assert stored and len(cookie) == 43  # 32 random bytes, nothing else
    decoded = base64.urlsafe_b64decode(cookie + "=")
    for blob in [cookie.encode(), decoded, *(row.sealed for row in stored), *(row.key.encode() for row in stored)]:
        for claim in (b"Marie", b"marie", b"1985", b"2A990", b"identity", b"staff"):
            assert claim not in blob
    assert all(row.key != cookie for row in stored)
    assert all(row.expires_at > dt.datetime.now(dt.timezone.utc) for row in stored)


def test_a_forged_or_unknown_cookie_is_a_new_empty_session(portal):
    with requests.Session() as visitor:
        visitor.cookies.set(portal.app.config["SESSION_COOKIE_NAME"], "A" * 43)
        answer = visitor.get(portal.url + "/mon-espace", allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and "/connexion" in answer.headers["Location"]


def test_expired_sessions_are_purged_and_open_nothing(app, client):
    from registry.session_store import store_session

    client.get("/")  # no session: nothing stored for a visitor who carries nothing
    with app.app_context():
        assert db.session().scalars(select(StoredSession)).all() == []
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        store_session(db.session(), "k" * 64, b"sealed", past)
        db.session().commit()  # a test's own setup, outside the app's units of work
    result = app.test_cli_runner().invoke(args=["registry", "purge-sessions"])
    assert result.exit_code == 0 and "Purged 1 expired sessions." in result.output
    with app.app_context():
        assert db.session().scalars(select(StoredSession)).all() == []
