"""Sending email: over SMTP as SMTP_URL says, or, with no SMTP_URL, into the log (local runs).

SMTP_URL: smtp://host:port (plain, local relays only), smtp+starttls://user:password@host:587
(STARTTLS required) or smtps://user:password@host:465 (TLS from the start).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from services.notifications.service.ports import Email, MailError

log = logging.getLogger(__name__)


def build(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    if email.message_id:
        message["Message-ID"] = email.message_id
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for item in email.attachments:
        message.add_attachment(
            item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
    return message


class SmtpMailer:
    def __init__(self, url: str, sender: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        self._scheme = parts.scheme.lower()
        self._host = parts.hostname or "localhost"
        self._port = parts.port or {"smtps": 465, "smtp+starttls": 587}.get(self._scheme, 25)
        self._user = unquote(parts.username or "")
        self._password = unquote(parts.password or "")
        self._sender = sender
        self._timeout_s = timeout_s

    def describe(self) -> str:
        return f"{self._scheme}://{self._host}:{self._port}"

    def send(self, emails: list[Email]) -> list[str]:
        sent: list[str] = []
        try:
            with self._connect() as smtp:
                for email in emails:
                    smtp.send_message(build(email, self._sender))
                    sent.append(email.to)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"{type(error).__name__}: {error}"[:300], sent) from error
        return sent

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout_s, context=context
            )
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
            if self._scheme == "smtp+starttls":
                smtp.starttls(context=context)
        if self._user:
            smtp.login(self._user, self._password)
        return smtp


class LogMailer:
    """The dev default: every email is written to the log instead of being sent."""

    def describe(self) -> str:
        return "log (no SMTP_URL: emails are logged, not sent)"

    def send(self, emails: list[Email]) -> list[str]:
        for email in emails:
            log.warning(
                "email not sent (no SMTP_URL): to %s: %s",
                email.to,
                email.subject,
                extra={"to": email.to, "subject": email.subject, "text": email.text},
            )
        return [email.to for email in emails]
