"""Warehouse clients (CLI) and the OAuth2 token endpoint, over real HTTP."""

import json

import requests
from sqlalchemy import select, update

from portal.database import db
from registry.models import AuditEvent
from registry.warehouses import ApiToken, Warehouse


def post_token(live, data, auth=None):
    return requests.post(live.url + "/api/v1/token", data=data, auth=auth, timeout=30)


def test_create_warehouse_prints_the_secret_once_and_stores_only_its_argon2id_hash(live, warehouse):
    assert warehouse["client_id"].startswith("rno_") and len(warehouse["client_secret"]) >= 40
    with live.app.app_context():
        stored = db.session().scalars(select(Warehouse)).one()
        assert stored.secret_hash.startswith("$argon2id$")
        assert warehouse["client_secret"] not in stored.secret_hash
        events = db.session().scalars(select(AuditEvent.details)).all()
    assert not any(warehouse["client_secret"] in details for details in events)


def test_the_text_output_names_the_client_and_warns_the_secret_is_shown_once(live):
    result = live.app.test_cli_runner().invoke(args=["registry", "create-warehouse", "EDS Sud"])
    assert result.exit_code == 0 and "not shown again" in result.output and "client_secret:" in result.output


def test_both_client_authentication_methods_give_a_bearer_token_of_15_minutes_at_most(live, warehouse):
    basic = post_token(live, {"grant_type": "client_credentials"},
                       auth=(warehouse["client_id"], warehouse["client_secret"]))
    posted = post_token(live, {"grant_type": "client_credentials", **warehouse})
    for response in (basic, posted):
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 900
        assert body["scope"] == "lookup jobs"
        assert response.headers["Cache-Control"] == "no-store"
    with live.app.app_context():
        stored = db.session().scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 2 and basic.json()["access_token"].encode() not in stored


def test_a_wrong_secret_is_refused_as_a_problem_with_the_oauth2_error(live, warehouse):
    response = post_token(live, {"grant_type": "client_credentials", "client_id": warehouse["client_id"],
                                 "client_secret": "not-the-secret"})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == response.json()["error"] == "invalid_client"


def test_an_unknown_scope_and_an_unknown_grant_are_refused(live, warehouse):
    auth = (warehouse["client_id"], warehouse["client_secret"])
    scope = post_token(live, {"grant_type": "client_credentials", "scope": "admin"}, auth=auth)
    grant = post_token(live, {"grant_type": "password"}, auth=auth)
    assert (scope.status_code, scope.json()["code"]) == (400, "invalid_scope")
    assert (grant.status_code, grant.json()["code"]) == (400, "unsupported_grant_type")


def test_a_disabled_clients_live_token_fails_and_it_gets_no_new_one(live, warehouse):
    token = live.token(warehouse)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"purpose": "research", "identifiers": ["185057505612308"]}
    assert requests.post(live.url + "/api/v1/lookup", json=body, headers=headers, timeout=30).status_code == 200

    result = live.app.test_cli_runner().invoke(args=["registry", "disable", warehouse["client_id"], "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["client_id"] == warehouse["client_id"]

    refused = requests.post(live.url + "/api/v1/lookup", json=body, headers=headers, timeout=30)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")
    again = post_token(live, {"grant_type": "client_credentials"},
                       auth=(warehouse["client_id"], warehouse["client_secret"]))
    assert (again.status_code, again.json()["code"]) == (401, "invalid_client")


def test_rotating_the_secret_refuses_the_old_secret_and_revokes_live_tokens(live, warehouse):
    token = live.token(warehouse)
    result = live.app.test_cli_runner().invoke(args=["registry", "rotate-secret", warehouse["client_id"], "--json"])
    rotated = json.loads(result.output)
    assert rotated["client_id"] == warehouse["client_id"] and rotated["client_secret"] != warehouse["client_secret"]
    old = post_token(live, {"grant_type": "client_credentials"},
                     auth=(warehouse["client_id"], warehouse["client_secret"]))
    assert old.status_code == 401
    assert live.token(rotated)
    stale = requests.get(live.url + "/api/v1/jobs/x", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert stale.status_code == 401


def test_an_expired_token_is_refused(live, warehouse):
    token = live.token(warehouse)
    with live.app.app_context():
        session = db.session()
        session.execute(update(ApiToken).values(expires_at=ApiToken.issued_at))
        session.commit()
    response = requests.post(live.url + "/api/v1/lookup", json={"purpose": "ai", "identifiers": ["x"]},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_commands_on_an_unknown_client_fail_cleanly(live):
    for command in ("rotate-secret", "disable"):
        result = live.app.test_cli_runner().invoke(args=["registry", command, "rno_nobody"])
        assert result.exit_code != 0 and "No warehouse client" in result.output
