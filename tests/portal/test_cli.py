import pytest
from sqlalchemy import update

from portal.database import db
from portal.demo import DEMO_PEOPLE
from registry.identifiers import parse_identifier
from registry.models import AuditEvent
from registry.oppositions import current_opposition

pytestmark = pytest.mark.db


def test_verify_audit_says_ok_with_the_event_count(runner):
    assert runner.invoke(args=["registry", "seed-demo"]).exit_code == 0
    result = runner.invoke(args=["registry", "verify-audit"])
    assert result.exit_code == 0
    assert "OK: 2 audit events" in result.output


def test_verify_audit_names_the_tampered_event_and_fails(app, runner):
    runner.invoke(args=["registry", "seed-demo"])
    with app.app_context():
        session = db.session()
        session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(details='{"forged":true}'))
        session.commit()
    result = runner.invoke(args=["registry", "verify-audit"])
    assert result.exit_code == 1
    assert "BROKEN at audit event 2" in result.output
    assert "1 events verified before it" in result.output


def test_seed_demo_is_idempotent_and_files_the_demo_oppositions(app, runner):
    assert "2 new oppositions" in runner.invoke(args=["registry", "seed-demo"]).output
    assert "0 new oppositions" in runner.invoke(args=["registry", "seed-demo"]).output
    with app.app_context():
        from portal.keys import keyring

        states = [current_opposition(db.session(), keyring(), parse_identifier(p.nir)).active for p in DEMO_PEOPLE]
    assert states == [p.opposes is not None for p in DEMO_PEOPLE]


def test_migrate_is_safe_to_run_again(runner):
    result = runner.invoke(args=["registry", "migrate"])
    assert result.exit_code == 0 and "up to date" in result.output
