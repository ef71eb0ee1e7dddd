"""Access requests: the SIRET check, addresses sealed, approval with a single-use expiring link
that creates the client once, refusal with a reason, retention, and an audit trail that names
each step without any address."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from registry.access_requests import (AccessRequest, AlreadyDecided, InvalidRequest, LinkUnusable, NewAccessRequest,
                                      approve_request, claim_credentials, purge_expired_requests, read_request,
                                      refuse_request, request_for_link, siret_valid, submit_request)
from registry.audit import AuditEvent
from registry.contact import AddressSealer
from registry.keys import parse_key
from registry.private_quota import PrivateAllowance
from registry.warehouses import Warehouse, check_client_secret, get_warehouse

SEALER = AddressSealer(parse_key("test-contact-1:" + "33" * 32, name="test"))
RETENTION = dt.timedelta(days=365)
LINK = dt.timedelta(hours=72)
CONTACT, DPO = "equipe.data@chu-exemple.fr", "dpo@chu-exemple.fr"


def new(**changes) -> NewAccessRequest:
    values = {"organisation": "CHU d'Exemple", "siret": "130 025 265 00013", "contact_email": CONTACT,
              "purposes": ("research", "statistics"), "cohort_size": 250_000, "dpo_email": DPO, "language": "fr"}
    return NewAccessRequest(**{**values, **changes})


@pytest.mark.parametrize("siret, valid", [
    ("13002526500013", True), ("73282932000074", True), ("13002526500014", False), ("1300252650001", False),
    ("1300252650001A", False), ("35600000000015", True), ("35600000000016", False),
])
def test_a_siret_passes_the_luhn_check_or_la_postes_rule(siret, valid):
    assert siret_valid(siret) is valid


def test_a_request_keeps_its_addresses_sealed_and_its_retention(session):
    made = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    stored = session.get(AccessRequest, made.id)
    assert stored.siret == "13002526500013" and stored.status == "pending"
    assert CONTACT.encode() not in stored.contact_sealed and DPO.encode() not in stored.dpo_sealed
    assert SEALER.open(stored.contact_sealed, stored.key_id) == CONTACT
    assert stored.expires_at - stored.submitted_at == RETENTION


@pytest.mark.parametrize("changes, field", [
    ({"siret": "13002526500014"}, "siret"), ({"contact_email": "pas-une-adresse"}, "contact_email"),
    ({"purposes": ()}, "purposes"), ({"purposes": ("research", "gossip")}, "purposes"),
    ({"cohort_size": 0}, "cohort_size"), ({"organisation": "  "}, "organisation"), ({"dpo_email": ""}, "dpo_email"),
])
def test_a_request_with_a_wrong_field_is_refused_naming_it(session, changes, field):
    with pytest.raises(InvalidRequest) as refused:
        submit_request(session, new(**changes), sealer=SEALER, retention=RETENTION)
    assert refused.value.field == field


def test_an_approved_request_gives_credentials_once_through_its_link(session):
    made = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    _, token = approve_request(session, made.id, scope="lookup private-lookup", cohort_size=200_000,
                               actor="staff:1", lifetime=LINK)
    assert made.link_hash and token.encode() not in made.link_hash
    credentials = claim_credentials(session, token)
    warehouse = get_warehouse(session, credentials.client_id)
    assert warehouse.name == "CHU d'Exemple" and warehouse.scope == "lookup private-lookup"
    assert check_client_secret(warehouse, credentials.client_secret)
    assert credentials.client_secret not in warehouse.secret_hash
    assert session.get(PrivateAllowance, warehouse.id).declared_cohort_size == 200_000
    assert made.status == "claimed" and made.client_id == credentials.client_id
    with pytest.raises(LinkUnusable):
        claim_credentials(session, token)  # single use
    assert session.scalars(select(Warehouse.id).where(Warehouse.client_id == credentials.client_id)).all() == [
        warehouse.id]


def test_a_link_expires(session):
    made = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    _, token = approve_request(session, made.id, scope="lookup", cohort_size=10, actor="staff:1", lifetime=LINK)
    later = made.link_expires_at + dt.timedelta(seconds=1)
    with pytest.raises(LinkUnusable):
        request_for_link(session, token, now=later)
    with pytest.raises(LinkUnusable):
        claim_credentials(session, token, now=later)
    with pytest.raises(LinkUnusable):
        request_for_link(session, "not-a-token")


def test_a_refused_request_keeps_its_reason_and_cannot_be_approved(session):
    made = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    refuse_request(session, made.id, reason="Le SIRET ne correspond pas à l'organisation.", actor="staff:1")
    assert made.status == "refused" and made.link_hash is None
    with pytest.raises(AlreadyDecided):
        approve_request(session, made.id, scope="lookup", cohort_size=10, actor="staff:1", lifetime=LINK)
    with pytest.raises(InvalidRequest):
        refuse_request(session, submit_request(session, new(), sealer=SEALER, retention=RETENTION).id, reason=" ",
                       actor="staff:1")


def test_decided_requests_go_after_their_retention_and_pending_ones_stay(session):
    decided = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    refuse_request(session, decided.id, reason="Hors champ.", actor="staff:1")
    pending = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    ids = decided.id, pending.id
    assert purge_expired_requests(session, decided.expires_at + dt.timedelta(days=1)) >= 1
    session.expire_all()
    assert session.get(AccessRequest, ids[0]) is None and session.get(AccessRequest, ids[1]) is not None


def test_every_step_is_audited_without_an_address_or_the_reason(session):
    made = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    read_request(session, made.id, actor="staff:1")
    _, token = approve_request(session, made.id, scope="lookup", cohort_size=10, actor="staff:1", lifetime=LINK)
    claim_credentials(session, token)
    refused = submit_request(session, new(), sealer=SEALER, retention=RETENTION)
    refuse_request(session, refused.id, reason="Raison confidentielle", actor="staff:1")
    events = session.scalars(select(AuditEvent).where(AuditEvent.target.in_(
        [made.audit_target, refused.audit_target])).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == [
        "access_request.submitted", "access_request.read", "access_request.approved", "access_request.link_issued",
        "access_request.claimed", "access_request.submitted", "access_request.refused"]
    written = json.dumps([[e.actor, e.target, e.details] for e in events], default=str)
    for secret in (CONTACT, DPO, "chu-exemple", "Raison confidentielle", token):
        assert secret not in written
