"""portal.mail against a real SMTP server (maildev, tests/mail_server.py): what arrives, in
UTF-8; what production refuses; a relay that is down is a MailNotSent, logged without the
address."""

from __future__ import annotations

import logging

import pytest

from portal.config import ConfigurationError
from portal.mail import Mailer, MailNotSent, mail_problems, parse_smtp_url
from tests.conftest import production_config
from tests.mail_server import free_port, mail_server  # noqa: F401  (a shared fixture)


def test_a_mail_arrives_with_its_utf8_subject_sender_and_text(mail_server):
    mailer = Mailer(parse_smtp_url(mail_server.smtp_url), "Registre national d'opposition <ne-pas-repondre@example.fr>")
    mailer.send("lea.martin@example.fr", "Réponse à votre message : « accessibilité »", "Bonjour Léa,\nC'est réglé.")
    [mail] = mail_server.wait_for_mails(1)
    assert mail["subject"] == "Réponse à votre message : « accessibilité »"
    assert mail["text"].strip() == "Bonjour Léa,\nC'est réglé."
    assert [to["address"] for to in mail["to"]] == ["lea.martin@example.fr"]
    assert mail["from"] == [{"address": "ne-pas-repondre@example.fr", "name": "Registre national d'opposition"}]
    assert mail["headers"]["message-id"].endswith("@example.fr>")


def test_an_address_outside_ascii_goes_through_smtputf8(mail_server):
    mailer = Mailer(parse_smtp_url(mail_server.smtp_url), "registre@example.fr")
    mailer.send("léa@exemple.fr", "Sujet", "Texte")
    [mail] = mail_server.wait_for_mails(1)
    assert [to["address"] for to in mail["envelope"]["to"]] == ["léa@exemple.fr"]


def test_a_relay_that_does_not_answer_is_mail_not_sent_and_the_log_holds_no_address(caplog):
    mailer = Mailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}"), "registre@example.fr", timeout=2)
    with caplog.at_level(logging.WARNING, logger="portal.mail"), pytest.raises(MailNotSent) as failure:
        mailer.send("lea.martin@example.fr", "Sujet", "Texte personnel")
    assert failure.value.code == "unreachable"
    assert caplog.messages and not any("lea.martin" in m or "personnel" in m for m in caplog.messages)


def test_without_a_relay_the_mailer_says_mail_is_not_configured():
    with pytest.raises(MailNotSent) as failure:
        Mailer(None, None).send("a@example.fr", "Sujet", "Texte")
    assert failure.value.code == "not_configured"


@pytest.mark.parametrize(("url", "scheme", "host", "port", "user", "password"), [
    ("smtp://127.0.0.1:1025", "smtp", "127.0.0.1", 1025, None, None),
    ("smtp+starttls://registre%40sante:p%C3%A0ss@relay.example:587", "smtp+starttls", "relay.example", 587, "registre@sante", "pàss"),
    ("smtps://relay.example", "smtps", "relay.example", 465, None, None),
])
def test_the_smtp_url_says_how_to_reach_the_relay(url, scheme, host, port, user, password):
    relay = parse_smtp_url(url)
    assert (relay.scheme, relay.host, relay.port, relay.username, relay.password) == (scheme, host, port, user, password)
    assert "p%C3%A0ss" not in repr(relay) and "pàss" not in repr(relay)


def test_production_names_every_missing_mail_setting_at_once():
    from portal import create_app

    with pytest.raises(ConfigurationError) as refused:
        create_app(production_config(MAIL_SMTP_URL=None, MAIL_FROM=None, CONTACT_KEY=None))
    message = str(refused.value)
    assert "REGISTRE_MAIL_SMTP_URL is not set" in message and "REGISTRE_MAIL_FROM is not set" in message
    assert "REGISTRE_CONTACT_KEY" in message


@pytest.mark.parametrize(("url", "problem"), [
    ("smtp://relay.example:25", "smtp:// to another machine"),
    ("http://relay.example", "must start with smtp://"),
    ("smtps://relay.example:99999", "port"),
])
def test_production_refuses_a_relay_in_clear_over_the_network_or_a_malformed_url(url, problem):
    assert any(problem in line for line in mail_problems({"MAIL_SMTP_URL": url, "MAIL_FROM": "a@example.fr"}))


def test_production_accepts_a_local_relay_in_clear_and_a_remote_one_over_tls():
    assert mail_problems({"MAIL_SMTP_URL": "smtp://localhost:25", "MAIL_FROM": "a@example.fr"}) == []
    assert mail_problems({"MAIL_SMTP_URL": "smtps://u:p@relay.example", "MAIL_FROM": "R <a@example.fr>"}) == []
