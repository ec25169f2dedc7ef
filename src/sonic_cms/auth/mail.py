"""Outgoing mail behind one small interface: console (the default) or SMTP.

Mail carries one-time secrets (reset, invitation, verification links), so the console sender
prints bodies only in development and never through ``logging``: secrets stay out of logs.
Services build :class:`MailMessage` values; the API delivers them after the response is
decided, so a slow SMTP server neither delays nor reveals anything to the caller.
"""

from __future__ import annotations

import logging
import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol, TextIO

from sonic_cms.config import Settings

logger = logging.getLogger("sonic_cms.mail")


@dataclass(frozen=True)
class MailMessage:
    """One plain-text mail."""

    to: str
    subject: str
    body: str


class MailSender(Protocol):
    """Anything that can deliver a MailMessage."""

    def send(self, message: MailMessage) -> None:
        """Deliver ``message`` or raise."""
        ...


class ConsoleMailSender:
    """Prints mail to a stream; the body (with its links) only when ``show_body`` is set."""

    def __init__(self, sender: str, show_body: bool, stream: TextIO | None = None) -> None:
        self.sender = sender
        self.show_body = show_body
        self.stream = stream or sys.stdout

    def send(self, message: MailMessage) -> None:
        """Print the mail."""
        body = message.body if self.show_body else "[body withheld outside development]"
        self.stream.write(
            f"--- mail ---\nFrom: {self.sender}\nTo: {message.to}\n"
            f"Subject: {message.subject}\n\n{body}\n--- end of mail ---\n"
        )
        self.stream.flush()


class SmtpMailSender:
    """Sends through an SMTP server (optionally STARTTLS and login)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: MailMessage) -> None:
        """Deliver over SMTP."""
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(mail)


def sender_for(settings: Settings) -> MailSender:
    """The sender ``settings.mail_sender`` names."""
    if settings.mail_sender == "smtp":
        return SmtpMailSender(settings)
    return ConsoleMailSender(settings.mail_from, show_body=settings.env == "development")


def deliver(settings: Settings, message: MailMessage | None) -> None:
    """Send ``message`` if there is one; a failure is logged (recipient only), never raised.

    Delivery runs after the response, where raising would help nobody; the log line names
    the recipient and the error, never the body, which holds a secret link.
    """
    if message is None:
        return
    try:
        sender_for(settings).send(message)
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("mail to %s failed: %s", message.to, type(exc).__name__)


def link(settings: Settings, path: str, token: str) -> str:
    """An absolute link to ``path`` carrying ``token``."""
    return f"{settings.site_url}{path}?token={token}"
