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
    inbox = DatabaseInbox(dt.timedelta(days=30))
    with pytest.raises(MessageHoldsIdentifier) as refused:
        inbox.deliver(session, NewMessage(topic="filing", body=f"numéro {spaced(MARIE, '/')}", language="fr"))
    leaked = MARIE in str(refused.value) or spaced(MARIE, "/") in str(refused.value)
    assert not leaked and refused.value.code == "identifier_in_message"
    with pytest.raises(MessageHoldsIdentifier):
        inbox.deliver(session, NewMessage(topic="filing", body="Bonjour", language="fr",
                                          reply_to=f"{MARIE}@example.fr"))
    assert messages_for_staff(session) == []
