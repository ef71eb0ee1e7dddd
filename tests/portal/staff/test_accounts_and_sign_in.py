import time

import pyotp
from sqlalchemy import select

from portal.database import db
from registry.models import AuditEvent
from registry.staff import find_account
from tests.portal.staff.conftest import PASSWORD, REFUSED, totp_now


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session().scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_the_cli_creates_an_account_asking_the_password_twice(app, runner):
    result = runner.invoke(args=["staff", "create", "Agent@Sante.gouv.fr", "--role", "agent"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0
    assert "agent@sante.gouv.fr created with the role agent" in result.output
    with app.app_context():
        account = find_account(db.session(), "agent@sante.gouv.fr")
        assert account.role == "agent" and account.password_hash.startswith("$argon2id$")
    assert audit_actions(app) == ["staff.created"]


def test_the_cli_refuses_an_unknown_role_and_a_short_password(runner):
    assert runner.invoke(args=["staff", "create", "a@b.fr", "--role", "boss"], input="x\nx\n").exit_code == 2
    result = runner.invoke(args=["staff", "create", "a@b.fr", "--role", "agent"], input="court\ncourt\n")
    assert result.exit_code == 1 and "at least 12 characters" in result.output


def test_first_sign_in_shows_the_enrolment_qr_code_then_signs_in(app, client, make_staff):
    email = make_staff("agent")
    response = client.post("/staff/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/staff/connexion/code").get_data(as_text=True)
    assert "<svg" in page and "Première connexion" in page
    with app.app_context():
        secret = find_account(db.session(), email).totp_secret
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    response = client.post("/staff/connexion/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.location.endswith("/staff/")
    assert "Espace agents" in client.get("/staff/").get_data(as_text=True)
    assert audit_actions(app)[-2:] == ["staff.totp_enrolled", "staff.login"]


def test_a_wrong_password_gets_one_message_per_form_and_no_session(client, make_staff):
    email = make_staff("agent")
    response = client.post("/staff/connexion", data={"email": email, "password": "pas le bon mot de passe"})
    assert response.status_code == 422
    assert REFUSED in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_empty_fields_get_a_message_each(client):
    page = client.post("/staff/connexion", data={}).get_data(as_text=True)
    assert "Saisissez votre adresse électronique." in page and "Saisissez votre mot de passe." in page


def test_the_code_step_needs_the_password_step_first(client):
    response = client.get("/staff/connexion/code")
    assert response.status_code == 302 and response.location.endswith("/staff/connexion")


def test_a_malformed_code_is_explained(client, make_staff):
    email = make_staff("agent")
    client.post("/staff/connexion", data={"email": email, "password": PASSWORD})
    page = client.post("/staff/connexion/code", data={"code": "12ab"}).get_data(as_text=True)
    assert "Le code comporte 6 chiffres." in page


def test_wrong_codes_lock_the_account_then_an_admin_unlocks_it(app, client, runner, make_staff):
    app.config.update(STAFF_BASE_DELAY=0, STAFF_LOCK_AFTER=3)
    email = make_staff("agent")
    client.post("/staff/connexion", data={"email": email, "password": PASSWORD})
    wrong = "000000" if totp_now(app, email) != "000000" else "111111"
    pages = [client.post("/staff/connexion/code", data={"code": wrong}).get_data(as_text=True) for _ in range(3)]
    assert "Code incorrect" in pages[0] and "Code incorrect" in pages[1]
    assert "Ce compte est verrouillé" in pages[2]
    response = client.post("/staff/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 422 and REFUSED in response.get_data(as_text=True)
    assert audit_actions(app).count("staff.login_failed") == 3 and "staff.locked" in audit_actions(app)
    assert runner.invoke(args=["staff", "unlock", email]).exit_code == 0
    assert client.post("/staff/connexion", data={"email": email, "password": PASSWORD}).status_code == 302


def test_early_attempts_are_refused_in_the_words_of_a_wrong_password(app, client, make_staff):
    app.config.update(STAFF_FREE_ATTEMPTS=1, STAFF_BASE_DELAY=60)
    email = make_staff("agent")
    client.post("/staff/connexion", data={"email": email, "password": "pas le bon mot de passe"})
    response = client.post("/staff/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 422 and REFUSED in response.get_data(as_text=True)
    assert audit_actions(app).count("staff.login_failed") == 1


def test_an_idle_session_times_out_and_is_audited(app, client, agent):
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - app.config["STAFF_SESSION_TIMEOUT"] - 1
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/connexion" in response.location
    assert "staff.timeout" in audit_actions(app)
    assert client.get("/staff/").status_code == 302


def test_sign_out_ends_the_session(app, client, agent):
    assert client.post("/staff/deconnexion").status_code == 302
    assert client.get("/staff/").status_code == 302
    assert audit_actions(app)[-1] == "staff.logout"


def test_sign_in_never_redirects_to_another_site(client, make_staff, app):
    email = make_staff("agent")
    client.post("/staff/connexion?next=//evil.example/staff/", data={"email": email, "password": PASSWORD})
    response = client.post("/staff/connexion/code", data={"code": totp_now(app, email)})
    assert response.location.endswith("/staff/")


def test_the_sign_in_form_is_rate_limited(app, client):
    app.config["STAFF_LOGIN_RATE_LIMIT"] = "2 per minute"
    statuses = [client.post("/staff/connexion", data={"email": "x@y.fr", "password": "z"}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_roles_are_checked_on_every_page(client, make_staff, sign_in):
    sign_in(make_staff("campaign_manager"))
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/depot").status_code == 403
    assert client.post("/staff/depot", data={}).status_code == 403
    assert client.get("/staff/entrepots").status_code == 403
    assert client.get("/staff/audit").status_code == 403


def test_an_agent_cannot_open_the_warehouse_board_or_the_audit(client, agent):
    assert client.get("/staff/entrepots").status_code == 403
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/depot").status_code == 200
