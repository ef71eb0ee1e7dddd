"""The hook the literacy modules call: a funnel step counted for the placement code of the request."""

from __future__ import annotations

from sqlalchemy import select

from campaigns.models import ReachCounter
from portal.campaigns.counting import count_funnel_step
from portal.database import db
from tests.campaigns.factories import make_campaign, make_placement

UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def test_a_funnel_step_is_counted_for_its_placement_unless_the_visitor_opts_out(app):
    with app.app_context():
        session = db.session()
        make_placement(session, make_campaign(session), code="affiche1")
        session.commit()
    with app.test_request_context("/modules/1", headers={"User-Agent": UA}):
        assert count_funnel_step(db.session(), "affiche1", "quiz_started")
        assert not count_funnel_step(db.session(), None, "quiz_started")
        assert not count_funnel_step(db.session(), "inconnu", "quiz_started")
        db.session().commit()
    with app.test_request_context("/modules/1", headers={"User-Agent": UA, "Sec-GPC": "1"}):
        assert not count_funnel_step(db.session(), "affiche1", "quiz_started")
    with app.app_context():
        assert [(r.step, r.count) for r in db.session().scalars(select(ReachCounter))] == [("quiz_started", 1)]
