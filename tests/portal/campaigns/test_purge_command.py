import datetime as dt

from sqlalchemy import select

from campaigns.models import DailyFilingCounter
from campaigns.reach import count_filing
from portal.database import db


def test_the_purge_command_drops_old_aggregates(app, runner):
    with app.app_context():
        session = db.session()
        count_filing(session, dt.date(2020, 1, 1))
        count_filing(session, dt.date.today())
        session.commit()
    result = runner.invoke(args=["campaigns", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 aggregate rows older than 25 months." in result.output
    with app.app_context():
        assert list(db.session().scalars(select(DailyFilingCounter.day))) == [dt.date.today()]
