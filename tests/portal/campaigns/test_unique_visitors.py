"""With ``CAMPAIGN_UNIQUE_VISITORS`` on, a second visit the same day adds an arrival, not a visitor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.models import ReachCounter
from portal.database import db
from tests.campaigns.factories import make_campaign, make_placement
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY

UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


@pytest.fixture
def app(database_url):
    from portal import create_app

    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY, "CAMPAIGN_UNIQUE_VISITORS": True,
    })
    with app.app_context():
        session = db.session()
        make_placement(session, make_campaign(session))
        session.commit()
    yield app
    db.dispose(app)


def test_unique_visitors_count_each_visitor_once_a_day(app):
    client = app.test_client()
    for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
        client.get("/c/affiche1", headers={"User-Agent": UA}, environ_base={"REMOTE_ADDR": address})
    with app.app_context():
        cells = {r.step: r.count for r in db.session().scalars(select(ReachCounter))}
    assert cells == {"arrival": 3, "unique_visitors": 2}
