"""1,000 arrivals at once on one placement, through a live server, are all counted exactly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from campaigns.models import ReachCounter
from portal.database import db
from tests.campaigns.factories import make_campaign, make_placement
from tests.e2e.conftest import LiveServer, live_config

ARRIVALS = 1000
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def test_a_thousand_concurrent_arrivals_are_counted_exactly(database_url):
    from portal import create_app

    app = create_app(live_config(database_url))
    with app.app_context():
        session = db.session()
        make_placement(session, make_campaign(session), code="affiche1")
        session.commit()

    def arrive(_n: int) -> int:
        with requests.Session() as http:
            return http.get(server.url + "/c/affiche1", headers={"User-Agent": UA},
                            allow_redirects=False, timeout=120).status_code

    with LiveServer(app) as server, ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(arrive, range(ARRIVALS)))

    assert statuses == [302] * ARRIVALS
    with app.app_context():
        session = db.session()
        assert session.scalar(select(func.sum(ReachCounter.count)).where(ReachCounter.step == "arrival")) == ARRIVALS
        assert session.scalar(select(func.count()).select_from(ReachCounter)) == 1
    db.dispose(app)
