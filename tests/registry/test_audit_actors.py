"""A warehouse client is named one way in new audit events, and a search by that warehouse also
finds the events written when it was named two other ways: stored events are never rewritten."""

import datetime as dt

import pytest
from sqlalchemy import select

from registry.audit import record_event, verify_chain, warehouse_actor
from registry.audit_search import AuditFilter, actor_forms, search_events, stream_events
from registry.jobs import create_job, fail_job, finish_job
from registry.models import AuditEvent
from registry.private_quota import acknowledge, charge_evaluations, declare_cohort
from registry.purposes import Purpose
from registry.warehouses import create_warehouse, get_warehouse

pytestmark = pytest.mark.db


def warehouse(session, name):
    return get_warehouse(session, create_warehouse(session, name).client_id)


def test_a_search_by_a_warehouse_finds_its_events_in_every_form_and_no_other_warehouses(session):
    mine, other = warehouse(session, "CHU A"), warehouse(session, "CHU B")
    # events as the registry wrote them before one form: by number, under either prefix
    old = [record_event(session, action=action, actor=actor) for action, actor in (
        ("api.job_finished", f"warehouse_id:{mine.id}"), ("private.evaluated", f"warehouse:{mine.id}"),
        ("api.lookup", f"warehouse:{mine.client_id}"))]
    record_event(session, action="api.job_finished", actor=f"warehouse_id:{other.id}")
    record_event(session, action="api.lookup", actor=f"warehouse:{other.client_id}")
    before_new = record_event(session, action="staff.signed_in", actor="staff:1").seq
    # events as every writer writes them now
    job = create_job(session, public_id="job-1", warehouse_id=mine.id, client_id=mine.client_id,
                     purpose=Purpose.RESEARCH, input_bytes=10, retention=dt.timedelta(days=1))
    finish_job(session, job)
    fail_job(session, create_job(session, public_id="job-2", warehouse_id=mine.id, client_id=mine.client_id,
                                 purpose=Purpose.RESEARCH, input_bytes=10, retention=dt.timedelta(days=1)),
             RuntimeError("x"))
    declare_cohort(session, mine.id, 100, actor="admin")
    charge_evaluations(session, mine.id, 10, purpose="research")
    acknowledge(session, mine.id, purpose="research", cohort_size=10, opposed_count=1, filter_version=1)
    new_actions = ["api.job_created", "api.job_finished", "api.job_created", "api.job_failed",
                   "private.evaluated", "private.acknowledged"]
    new_actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.seq > before_new,
                                                                AuditEvent.action.in_(new_actions))).all()
    assert new_actors == [warehouse_actor(mine.client_id)] * len(new_actions) == [f"warehouse:{mine.client_id}"] * 6

    for asked in (f"warehouse:{mine.client_id}", f"warehouse_id:{mine.id}", f"warehouse:{mine.id}"):
        found = search_events(session, AuditFilter(actor=asked)).events
        assert sorted(e.action for e in found) == sorted([e.action for e in old] + new_actions), asked
        assert [e.seq for e in stream_events(session, AuditFilter(actor=asked))] == sorted(e.seq for e in found)
    assert [e.actor for e in old] == [f"warehouse_id:{mine.id}", f"warehouse:{mine.id}", f"warehouse:{mine.client_id}"]
    assert verify_chain(session).ok, "reading normalises; nothing stored was rewritten"


@pytest.mark.parametrize("actor", ["staff:1", "admin", "warehouse:", "warehouse_id:rno_abc", "warehouse:rno_unknown",
                                   "warehouse:999999", "warehouse:99999999999999999999", "warehouse:²"])
def test_any_other_actor_is_searched_as_it_is(session, actor):
    assert actor_forms(session, actor) == [actor]
    search_events(session, AuditFilter(actor=actor))


def test_the_compliance_board_counts_a_warehouses_calls_under_every_form(session):
    from registry.warehouse_clients import api_activity

    mine, other = warehouse(session, "CHU A"), warehouse(session, "CHU B")
    for actor, identifiers in ((f"warehouse:{mine.client_id}", 40), (f"warehouse_id:{mine.id}", 2),
                               (f"warehouse:{mine.id}", 3), (f"warehouse:{other.client_id}", 500)):
        record_event(session, action="api.lookup", actor=actor, details={"calls": 1, "identifiers": identifiers})
    activity = api_activity(session, [mine.client_id, other.client_id])
    (last, days), (other_last, other_days) = activity[mine.client_id], activity[other.client_id]
    assert [(calls, identifiers) for _, calls, identifiers in days] == [(3, 45)]
    assert [(calls, identifiers) for _, calls, identifiers in other_days] == [(1, 500)]
    assert last is not None and other_last is not None
