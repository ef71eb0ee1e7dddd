"""Lookups, jobs and private evaluation under a data permit, over real HTTP: every refusal is a
problem with its code, an exception is answered and recorded, a private run refuses it."""

import datetime as dt
import json

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import create_database_engine
from registry.models import AuditEvent
from registry.permits import PermitApplication, PermitDetails, create_permit
from registry.purposes import Purpose
from tests.portal.api.test_lookup import AI_ONLY, FREE, OPPOSED, file, lookup
from tests.registry.nir_factory import spaced

TODAY = dt.date.today()
REFUSALS = [
    ("P-NONE", "research", 422, "unknown_permit"),
    ("not a reference!", "research", 422, "unknown_permit"),
    ("P-ENDED", "research", 403, "permit_expired"),
    ("P-LATER", "research", 403, "permit_not_started"),
    ("P-OTHER", "research", 403, "permit_not_held"),
    ("P-OK", "ai", 403, "permit_purpose_not_covered"),
]


def add_permits(database_url, holder: str, other: str) -> None:
    engine = create_database_engine(database_url)

    def permit(reference, holders, **changes):
        values = dict(reference=reference, title=f"Projet {reference}", issuing_body="Health Data Hub",
                      purposes=(Purpose.RESEARCH, Purpose.STATISTICS), starts_on=TODAY - dt.timedelta(days=10),
                      ends_on=TODAY + dt.timedelta(days=100), url=f"https://example.org/{reference}",
                      holders=tuple(holders))
        values.update(changes)
        return PermitDetails(**values)

    try:
        with Session(engine) as session:
            create_permit(session, permit("P-OK", [holder]), actor="test")
            create_permit(session, permit("P-EXC", [holder], exception_basis="Règlement (UE) 2025/327, art. 71(4)",
                                          exception_reference="DEC-2026-7"), actor="test")
            create_permit(session, permit("P-ENDED", [holder], starts_on=TODAY - dt.timedelta(days=50),
                                          ends_on=TODAY - dt.timedelta(days=1)), actor="test")
            create_permit(session, permit("P-LATER", [holder], starts_on=TODAY + dt.timedelta(days=2)), actor="test")
            create_permit(session, permit("P-OTHER", [other]), actor="test")
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture
def permits(live, warehouse, database_url):
    other = live.create_warehouse("EDS voisin")
    add_permits(database_url, warehouse["client_id"], other["client_id"])
    return other


@pytest.mark.parametrize(("permit", "purpose", "status", "code"), REFUSALS)
@pytest.mark.parametrize("size", [1, 40])
def test_every_refused_permit_is_a_problem_with_its_code(live, auth, permits, permit, purpose, status, code, size):
    response = lookup(live, auth, {"purpose": purpose, "identifiers": [OPPOSED] * size, "permit": permit})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["type"].endswith(code) and body["pointer"] == "/permit"
    assert "results" not in body


def test_a_permit_that_is_not_a_string_is_an_invalid_request(live, auth, permits):
    response = lookup(live, auth, {"purpose": "research", "identifiers": [OPPOSED], "permit": 12})
    assert (response.status_code, response.json()["code"], response.json()["pointer"]) == (
        422, "invalid_request", "/permit")


def test_a_bad_token_is_refused_before_a_bad_permit(live, permits):
    response = lookup(live, {"Authorization": "Bearer nope"},
                      {"purpose": "research", "identifiers": [OPPOSED], "permit": "P-NONE"})
    assert response.status_code == 401


def test_under_a_permit_the_answers_are_those_without_and_the_permit_is_recorded(live, auth, permits, database_url):
    file(database_url, OPPOSED)
    file(database_url, AI_ONLY, [Purpose.AI])
    sent = [spaced(OPPOSED), "1234", FREE, AI_ONLY]
    plain = lookup(live, auth, {"purpose": "research", "identifiers": sent}).json()
    permitted = lookup(live, auth, {"purpose": "research", "identifiers": sent, "permit": "P-OK"}).json()
    assert permitted["permit"] == "P-OK" and permitted["results"] == plain["results"]
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(PermitApplication.exception, PermitApplication.purpose_bit)).all()
            assert rows == [(False, Purpose.RESEARCH.bit)]
            details = session.scalars(select(AuditEvent.details).where(AuditEvent.action == "api.lookup")).all()
            assert any('"permit_id"' in d for d in details) and any('"permit_id"' not in d for d in details)
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", [1, 40])
def test_under_an_exception_an_opposed_person_is_answered_with_its_reference(live, auth, permits, database_url, size):
    file(database_url, OPPOSED)
    sent = ([OPPOSED, FREE, "1234"] * size)[:max(size, 3)]
    body = lookup(live, auth, {"purpose": "statistics", "identifiers": sent, "permit": "P-EXC"}).json()
    assert body["permit"] == "P-EXC"
    assert body["results"][:3] == [{"identifier": OPPOSED, "opposed": True, "exception": "DEC-2026-7"},
                                   {"identifier": FREE, "opposed": False},
                                   {"identifier": "1234", "error": "length"}]
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            assert session.execute(select(PermitApplication.exception)).scalars().all() == [True]
    finally:
        engine.dispose()


def upload(live, headers, body: bytes, query: str):
    return requests.post(live.url + f"/api/v1/jobs?{query}", data=body, timeout=30,
                         headers={**headers, "Content-Type": "text/csv"})


@pytest.mark.parametrize(("permit", "purpose", "status", "code"), REFUSALS)
def test_a_job_under_a_refused_permit_is_refused_before_its_upload(live, auth, permits, permit, purpose, status, code):
    response = upload(live, auth, f"{OPPOSED}\n".encode(), f"purpose={purpose}&permit={requests.utils.quote(permit)}")
    assert (response.status_code, response.json()["code"], response.json()["pointer"]) == (status, code, "permit")


def test_a_job_under_an_exception_marks_its_opposed_lines(live, auth, permits, database_url):
    file(database_url, OPPOSED)
    created = upload(live, auth, f"{OPPOSED}\n{FREE}\n".encode(), "purpose=research&permit=P-EXC")
    assert created.status_code == 202 and created.json()["permit"] == "P-EXC"
    live.drain_jobs()
    job = requests.get(live.url + created.headers["Location"], headers=auth, timeout=30).json()
    assert (job["status"], job["exception"]) == ("done", "DEC-2026-7")
    result = requests.get(live.url + job["result"], headers=auth, timeout=30).text.splitlines()
    assert result == ["line,status,reason", "1,opposed,exception", "2,not_opposed,"]


def test_private_mode_refuses_a_permit_with_an_exception_and_records_the_others(live, permits, database_url):
    credentials = live.create_warehouse("EDS privé", "--scope", "lookup private-lookup")
    add_private = live.app.test_cli_runner().invoke(args=["registry", "declare-cohort", credentials["client_id"], "20"])
    assert add_private.exit_code == 0
    headers = {"Authorization": "Bearer " + live.token(credentials)}
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            from registry.permits import PermitHolder, get_permit
            from registry.warehouses import get_warehouse
            warehouse_id = get_warehouse(session, credentials["client_id"]).id
            for reference in ("P-OK", "P-EXC"):
                session.add(PermitHolder(permit_id=get_permit(session, reference).id, warehouse_id=warehouse_id))
            session.commit()
    finally:
        engine.dispose()
    element = "4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY="  # ristretto255's generator: a valid element
    refused = requests.post(live.url + "/api/v1/private/evaluate", headers=headers, timeout=30,
                            json={"purpose": "research", "blinded_elements": [element], "permit": "P-EXC"})
    assert (refused.status_code, refused.json()["code"]) == (403, "permit_exception_not_private")
    not_held = requests.post(live.url + "/api/v1/private/evaluate", headers=headers, timeout=30,
                             json={"purpose": "research", "blinded_elements": [element], "permit": "P-OTHER"})
    assert (not_held.status_code, not_held.json()["code"]) == (403, "permit_not_held")
    accepted = requests.post(live.url + "/api/v1/private/evaluate", headers=headers, timeout=30,
                             json={"purpose": "research", "blinded_elements": [element], "permit": "P-OK"})
    assert accepted.status_code == 200, accepted.text
    engine = create_database_engine(database_url)
    try:
        with Session(engine) as session:
            event = session.scalars(select(AuditEvent).where(
                AuditEvent.action == "private.evaluated_under_permit")).one()
            assert event.target == "P-OK" and json.loads(event.details)["elements"] == 1
    finally:
        engine.dispose()
