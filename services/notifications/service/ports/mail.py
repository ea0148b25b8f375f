"""The mailer: emails out, with what was sent when a send fails part-way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    # A stable id per (event, recipient): a resent email carries the same Message-ID.
    message_id: str = ""


class Mailer(Protocol):
    def send(self, emails: list[Email]) -> list[str]:
        """Send each; the addresses sent to (an error after some is raised with them kept)."""
        ...


class MailError(Exception):
    def __init__(self, message: str, sent: list[str]) -> None:
        super().__init__(message)
        self.sent = sent
