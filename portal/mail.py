"""Sending e-mail through SMTP, for every part of the portal that writes to someone (replies to
contact messages, links sent to warehouses).

Two settings: ``REGISTRE_MAIL_SMTP_URL`` says where and how to reach the relay
(``smtp://host:25`` in clear, for a relay on the same machine; ``smtp+starttls://user:password@host:587``;
``smtps://user:password@host:465``; user and password percent-encoded), and ``REGISTRE_MAIL_FROM``
who the mail comes from. Production and staging refuse to start without them, or with an
``smtp://`` relay that is not on the machine itself (the mail would cross the network in clear).
``./run`` points them at its development mail catcher (maildev), whose web page shows the mails.

Sending is the standard library's ``smtplib`` and ``email.message``: a plain-text body, subjects
and addresses in UTF-8 as the message policy encodes them. A mail that cannot be sent raises
``MailNotSent`` with a short code; nothing here logs an address, a subject or a body.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from ipaddress import ip_address
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)

SETTINGS = ("MAIL_SMTP_URL", "MAIL_FROM")
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
LOCAL_HOSTS = {"localhost"}
DEFAULT_TIMEOUT = 10.0


class MailNotSent(Exception):
    """The mail did not leave: ``code`` says why in a word (``not_configured``, ``unreachable``,
    ``refused``, ``authentication``, ``tls``), for the person who asked and the audit trail."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SmtpRelay:
    """Where mail goes, read from ``MAIL_SMTP_URL``. The password never appears in a repr."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        if self.host in LOCAL_HOSTS:
            return True
        try:
            return ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_smtp_url(url: str) -> SmtpRelay:
    """Read ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URLs; a ValueError names what is
    wrong, never the password."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("REGISTRE_MAIL_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("REGISTRE_MAIL_SMTP_URL has a port that is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("REGISTRE_MAIL_SMTP_URL names no host")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SmtpRelay(parts.scheme, parts.hostname, port, username, password)


def mail_problems(config) -> list[str]:
    """What production lacks to send mail, one line per setting (for ``portal.config``)."""
    problems = []
    url, sender = config.get("MAIL_SMTP_URL"), config.get("MAIL_FROM")
    if not url:
        problems.append("REGISTRE_MAIL_SMTP_URL is not set: give the SMTP relay, "
                        "e.g. smtp+starttls://user:password@relay.example:587")
    else:
        try:
            relay = parse_smtp_url(url)
        except ValueError as exc:
            problems.append(str(exc))
        else:
            if relay.scheme == "smtp" and not relay.is_local:
                problems.append("REGISTRE_MAIL_SMTP_URL is smtp:// to another machine (mail and password in clear): "
                                "use smtp+starttls:// or smtps://")
    if not sender or "@" not in parseaddr(str(sender))[1]:
        problems.append("REGISTRE_MAIL_FROM is not set to an address, e.g. "
                        "\"Registre national d'opposition <ne-pas-repondre@example.fr>\"")
    return problems


@dataclass(frozen=True)
class Mailer:
    """Sends one mail at a time through the relay, opening a connection for each (mail is rare
    here, and a connection kept open would go stale between replies)."""

    relay: SmtpRelay | None
    sender: str | None
    timeout: float = DEFAULT_TIMEOUT

    def message(self, to: str, subject: str, text: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender or "")[1].rpartition("@")[2] or None
        mail["Message-ID"] = make_msgid(domain=domain)
        mail.set_content(text)
        return mail

    def send(self, to: str, subject: str, text: str) -> None:
        """Send a plain-text mail; ``MailNotSent`` when it could not be handed to the relay."""
        if self.relay is None or not self.sender:
            raise MailNotSent("not_configured")
        mail = self.message(to, subject, text)
        try:
            with self._connect() as smtp:
                if self.relay.username:
                    smtp.login(self.relay.username, self.relay.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._failure("authentication", exc) from None
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise self._failure("refused", exc) from None
        except ssl.SSLError as exc:
            raise self._failure("tls", exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise self._failure("unreachable", exc) from None

    def _connect(self) -> smtplib.SMTP:
        relay = self.relay
        if relay.scheme == "smtps":
            return smtplib.SMTP_SSL(relay.host, relay.port, timeout=self.timeout, context=ssl.create_default_context())
        smtp = smtplib.SMTP(relay.host, relay.port, timeout=self.timeout)
        try:
            if relay.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def _failure(code: str, exc: BaseException) -> MailNotSent:
        # The exception's text may hold the address (a refused recipient): its type only.
        log.warning("mail not sent: %s (%s)", code, type(exc).__name__)
        return MailNotSent(code)


def mailer_from_config(config) -> Mailer:
    url, relay = config.get("MAIL_SMTP_URL"), None
    if url:
        try:
            relay = parse_smtp_url(url)
        except ValueError as exc:  # production refuses to start on this; elsewhere mail is off
            log.warning("mail is off: %s", exc)
    return Mailer(relay=relay, sender=config.get("MAIL_FROM"),
                  timeout=float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT))


def mailer() -> Mailer:
    """The app's mailer, built from its configuration on first use."""
    extensions = current_app.extensions
    if "mailer" not in extensions:
        extensions["mailer"] = mailer_from_config(current_app.config)
    return extensions["mailer"]
