import datetime as dt

import pytest
from sqlalchemy import inspect

from registry.contact import DatabaseInbox, NewMessage, messages_for_staff, purge_expired_messages
from registry.models import utcnow

pytestmark = pytest.mark.db


def test_a_message_is_kept_for_the_retention_period_then_purged(session):
    inbox = DatabaseInbox(dt.timedelta(days=30))
    inbox.deliver(session, NewMessage(topic="question", body="Bonjour", language="fr"))
    inbox.deliver(session, NewMessage(topic="accessibility", body="Hello", language="en", reply_to="a@example.org"))
    kept = messages_for_staff(session)
    assert [(m.topic, m.reply_to) for m in kept] == [("question", None), ("accessibility", "a@example.org")]
    assert all(m.expires_at - m.received_at == dt.timedelta(days=30) for m in kept)
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=29)) == 0
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=31)) == 2
    assert messages_for_staff(session) == []


def test_a_message_keeps_no_name_no_address_and_no_browser_data(session):
    columns = {c["name"] for c in inspect(session.connection()).get_columns("contact_messages")}
    assert columns == {"id", "topic", "body", "reply_to", "language", "received_at", "expires_at"}


def test_an_unknown_topic_is_refused(session):
    with pytest.raises(ValueError):
        DatabaseInbox(dt.timedelta(days=1)).deliver(session, NewMessage(topic="spam", body="x", language="fr"))


def test_a_delivery_purges_the_messages_past_their_retention(session):
    DatabaseInbox(dt.timedelta(days=-1)).deliver(session, NewMessage(topic="other", body="old", language="fr"))
    DatabaseInbox(dt.timedelta(days=30)).deliver(session, NewMessage(topic="other", body="new", language="fr"))
    assert [m.body for m in messages_for_staff(session)] == ["new"]
