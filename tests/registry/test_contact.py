import datetime as dt
import json

import pytest
from sqlalchemy import inspect, select, text

from registry.audit import verify_chain
from registry.contact import (
    AddressSealer, ContactMessage, DatabaseInbox, NewMessage, NoReplyAddress, ReplyAddressUnreadable, mark_handled,
    messages_for_staff, purge_expired_messages, read_message, record_sending, replies_to, reply_address,
    seal_plain_addresses, unanswered_messages, write_reply,
)
from registry.keys import parse_key
from registry.models import AuditEvent, utcnow

pytestmark = pytest.mark.db

SEALER = AddressSealer(parse_key("test-contact-1:" + "33" * 32, name="test"))
AGENT = "staff:7"


def inbox(days: int = 30) -> DatabaseInbox:
    return DatabaseInbox(dt.timedelta(days=days), SEALER)


def deliver(session, topic="question", body="Bonjour", reply_to=None, days=30) -> ContactMessage:
    inbox(days).deliver(session, NewMessage(topic=topic, body=body, language="fr", reply_to=reply_to))
    return session.scalars(select(ContactMessage).order_by(ContactMessage.id.desc())).first()


def test_a_handled_message_is_kept_for_the_retention_period_then_purged(session):
    inbox().deliver(session, NewMessage(topic="question", body="Bonjour", language="fr"))
    inbox().deliver(session, NewMessage(topic="accessibility", body="Hello", language="en", reply_to="a@example.org"))
    kept = messages_for_staff(session)
    assert [(m.topic, m.has_reply_address) for m in kept] == [("question", False), ("accessibility", True)]
    assert all(m.expires_at - m.received_at == dt.timedelta(days=30) for m in kept)
    for message in kept:
        mark_handled(session, message.id, actor=AGENT)
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=29)) == 0
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=31)) == 2
    assert messages_for_staff(session) == []


def test_a_message_nobody_has_handled_is_never_purged_and_is_counted_as_unanswered(session):
    complaint = deliver(session, topic="accessibility", body="Le formulaire ne marche pas au clavier")
    deliver(session, topic="question")
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=3650)) == 0
    backlog = unanswered_messages(session)
    assert (backlog.unanswered, backlog.accessibility, backlog.oldest) == (2, 1, complaint.received_at)
    mark_handled(session, complaint.id, actor=AGENT)
    assert unanswered_messages(session).unanswered == 1
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=31)) == 1
    assert [m.topic for m in messages_for_staff(session)] == ["question"]


def test_the_reply_address_is_stored_sealed_and_opened_only_with_the_contact_key(session):
    message = deliver(session, reply_to="lea.martin@example.fr")
    stored = session.execute(text("SELECT reply_to, reply_to_sealed, reply_to_key_id FROM contact_messages "
                                  "WHERE id = :id"), {"id": message.id}).one()
    assert stored[0] is None and b"lea.martin" not in bytes(stored[1]) and stored[2] == "test-contact-1"
    assert reply_address(session, message, SEALER) == "lea.martin@example.fr"
    other = AddressSealer(parse_key("test-contact-2:" + "44" * 32, name="test"))
    with pytest.raises(ReplyAddressUnreadable):
        reply_address(session, message, other)
    same_id_other_secret = AddressSealer(parse_key("test-contact-1:" + "44" * 32, name="test"))
    with pytest.raises(ReplyAddressUnreadable):
        reply_address(session, message, same_id_other_secret)


def test_addresses_kept_in_clear_before_sealing_are_sealed_by_the_next_delivery(session):
    session.execute(text("INSERT INTO contact_messages (topic, body, reply_to, language, received_at, expires_at) "
                         "VALUES ('other', 'ancien', 'ancien@example.fr', 'fr', :now, :later)"),
                    {"now": dt.datetime(2026, 1, 1), "later": dt.datetime(2099, 1, 1)})
    [old] = messages_for_staff(session)
    assert old.has_reply_address and reply_address(session, old, SEALER) == "ancien@example.fr"
    deliver(session)
    session.expire_all()
    assert session.scalar(text("SELECT count(*) FROM contact_messages WHERE reply_to IS NOT NULL")) == 0
    old = session.get(ContactMessage, old.id)
    assert reply_address(session, old, SEALER) == "ancien@example.fr"
    assert seal_plain_addresses(session, SEALER) == 0


def test_reading_handling_and_replying_are_audited_without_the_text_or_the_address(session):
    message = deliver(session, topic="accessibility", body="Texte très personnel", reply_to="lea.martin@example.fr")
    read_message(session, message.id, actor=AGENT)
    reply = write_reply(session, message.id, subject="Réponse", body="Réponse personnelle", actor=AGENT)
    record_sending(session, reply, actor=AGENT, failure="unreachable")
    assert reply.sent_at is None and reply.last_failure == "unreachable" and message.handled_at is None
    record_sending(session, reply, actor=AGENT)
    assert reply.sent_at is not None and reply.attempts == 2 and message.handled_at is not None
    events = session.scalars(select(AuditEvent).where(AuditEvent.target == message.reference).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["contact.read", "contact.reply_written", "contact.reply_failed",
                                          "contact.reply_sent", "contact.handled"]
    assert all(e.actor == AGENT for e in events)
    assert json.loads(events[2].details) == {"reply": reply.id, "failure": "unreachable"}
    dump = " ".join(f"{e.target} {e.details}" for e in events)
    assert "lea.martin" not in dump and "personnel" not in dump
    assert verify_chain(session).ok
    assert [r.id for r in replies_to(session, message.id)] == [reply.id]


def test_a_message_without_an_address_cannot_be_answered_by_mail(session):
    message = deliver(session)
    with pytest.raises(NoReplyAddress):
        write_reply(session, message.id, subject="Réponse", body="Bonjour", actor=AGENT)


def test_the_inbox_lists_unhandled_messages_first_oldest_on_top(session):
    first, second, third = (deliver(session, body=name) for name in ("premier", "deuxième", "troisième"))
    mark_handled(session, first.id, actor=AGENT)
    assert [m.body for m in messages_for_staff(session)] == ["deuxième", "troisième", "premier"]


def test_purging_a_handled_message_deletes_its_replies(session):
    message = deliver(session, reply_to="lea@example.fr")
    record_sending(session, write_reply(session, message.id, subject="R", body="Réponse", actor=AGENT), actor=AGENT)
    assert purge_expired_messages(session, utcnow() + dt.timedelta(days=31)) == 1
    assert session.scalar(text("SELECT count(*) FROM contact_replies")) == 0


def test_a_message_keeps_no_name_no_clear_address_and_no_browser_data(session):
    columns = {c["name"] for c in inspect(session.connection()).get_columns("contact_messages")}
    assert columns == {"id", "topic", "body", "reply_to", "reply_to_sealed", "reply_to_key_id", "language",
                       "received_at", "expires_at", "handled_at"}


def test_an_unknown_topic_is_refused(session):
    with pytest.raises(ValueError):
        inbox(1).deliver(session, NewMessage(topic="spam", body="x", language="fr"))


def test_a_delivery_purges_the_handled_messages_past_their_retention(session):
    old = deliver(session, body="old", days=-1)
    mark_handled(session, old.id, actor=AGENT)
    deliver(session, body="new")
    assert [m.body for m in messages_for_staff(session)] == ["new"]


# A person's free text and the social security numbers it may hold (issue 17): the filter
# normalises (NFKC, any separator) before asking registry.identifiers whether a number is there.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from registry.contact import MessageHoldsIdentifier, holds_identifier  # noqa: E402
from tests.registry.nir_factory import make_nir, spaced, valid_nirs  # noqa: E402

MARIE = make_nir(2, 85, 2, "2A", "004", 123)  # 2 85 02 2A 004 123 55
PENDING = make_nir(4, 91, 7, "69", "123", 45)  # sex digit 4: a woman's number pending registration
FULL_WIDTH = str.maketrans("0123456789AB", "０１２３４５６７８９ＡＢ")
SEPARATORS = [" ", ".", "-", "/", "_", ",", "\t", "\n", "\u00a0", "\u202f", "\u2013", "\uff0f", "\u00b7", "(", ")", "*"]


def found_in(*texts: str) -> list[bool]:
    """Whether each text holds a number, bound before any assert so that a failure prints no number."""
    return [holds_identifier(text) for text in texts]


def test_a_number_split_by_slashes_around_the_corsican_2a_is_found():
    assert found_in("Bonjour, mon numéro est 2/85/02/2A/004/123/55, merci", spaced(MARIE, "/").lower()) == [True, True]


def test_a_number_with_the_pending_registration_sex_digit_4_is_found():
    assert found_in(f"Je m'appelle Léa, numéro {spaced(PENDING)}.", PENDING) == [True, True]


def test_a_number_typed_in_full_width_digits_is_found():
    assert found_in(f"numéro : {MARIE.translate(FULL_WIDTH)}",
                    spaced(PENDING, "\u3000").translate(FULL_WIDTH)) == [True, True]  # ideographic spaces too


def test_a_number_inside_an_email_address_is_found():
    assert found_in(f"{MARIE}@example.fr", f"lea.{spaced(PENDING, '.')}@example.fr") == [True, True]


def test_separators_of_every_kind_mixed_in_one_number_are_found():
    g = spaced(MARIE).split()
    assert found_in(f"{g[0]}.{g[1]} - {g[2]}/{g[3]}_{g[4]},{g[5]}\n{g[6]}") == [True]


def test_a_number_typed_without_its_key_is_found():
    assert found_in(f"le numéro {spaced(MARIE)[:-3]} (je n'ai pas la clé)") == [True]


@settings(max_examples=300, deadline=None)
@given(valid_nirs(), st.lists(st.lists(st.sampled_from(SEPARATORS), max_size=3).map("".join), min_size=6, max_size=6),
       st.text(max_size=40), st.text(max_size=40), st.booleans(), st.booleans())
def test_any_valid_number_typed_with_any_separators_anywhere_in_a_text_is_found(
        nir, separators, before, after, full_width, lower):
    groups = spaced(nir.value).split()
    typed = groups[0] + "".join(sep + group for sep, group in zip(separators, groups[1:]))
    typed = typed.translate(FULL_WIDTH) if full_width else typed
    typed = typed.lower() if lower else typed
    found = holds_identifier(f"{before} {typed} {after}")
    assert found


@pytest.mark.parametrize("text", [
    "Appelez-moi au 06 12 34 56 78 ou au +33 1 23 45 67 89.",
    "Né le 12/03/1985 à Lyon (69003), je voudrais savoir si mon choix compte.",
    "Ma demande du 2026-03-01, référence RN-4F7K-22QX, montant 1 234,56 €.",
    "J'ai 2 enfants de 8 et 11 ans, et ma mère a 85 ans.",
    "Mon IBAN commence par FR76 et je ne vous le donnerai pas.",
    "",
])
def test_ordinary_numbers_in_a_message_are_not_taken_for_a_social_security_number(text):
    assert not holds_identifier(text)


def test_the_inbox_refuses_a_message_holding_a_number_in_its_text_or_its_reply_address(session):
    with pytest.raises(MessageHoldsIdentifier) as refused:
        inbox().deliver(session, NewMessage(topic="filing", body=f"numéro {spaced(MARIE, '/')}", language="fr"))
    leaked = MARIE in str(refused.value) or spaced(MARIE, "/") in str(refused.value)
    assert not leaked and refused.value.code == "identifier_in_message"
    with pytest.raises(MessageHoldsIdentifier):
        inbox().deliver(session, NewMessage(topic="filing", body="Bonjour", language="fr",
                                          reply_to=f"{MARIE}@example.fr"))
    assert messages_for_staff(session) == []
