"""Emails: one per event, to the organization's billing email and to the users with billing
access who asked for billing emails (operations alerts: to the operators' address; a notice to
one user, such as a sign-in lock: to that user alone). Sent with backoff for a day; a recipient
already sent to is not sent to again."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from typing import Protocol

from services.common.clock import Clock
from services.notifications.domain.emails import html_body, text_body
from services.notifications.domain.retry import RetrySchedule
from services.notifications.service.intake import FAILED, PENDING, SENT, SKIPPED
from services.notifications.service.ports import (
    Attachment,
    Email,
    Mailer,
    MailError,
    PendingEmail,
    UnitsOfWork,
)

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 50
MESSAGE_IDS = uuid.UUID("8f6f3c1e-93c2-4d53-a2a8-6c5f0f1d7e44")


class Directory(Protocol):
    def billing_email(self, account_id: str) -> str: ...

    def invoice_pdf(self, account_id: str, invoice_id: str) -> bytes: ...


class EmailSender:
    def __init__(
        self,
        units: UnitsOfWork,
        clock: Clock,
        mailer: Mailer,
        directory: Directory,
        retries: RetrySchedule,
        lease_ms: int,
        operators_email: str,
        batch: int = 20,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._units = units
        self._clock = clock
        self._mailer = mailer
        self._directory = directory
        self._retries = retries
        self._lease_ms = lease_ms
        self._operators_email = operators_email
        self._batch = batch
        self._draw = draw

    def step(self) -> int:
        emails = self._claim()
        for email in emails:
            self._send(email)
        return len(emails)

    def _claim(self) -> list[PendingEmail]:
        now_ms = self._clock.now_ms()
        with self._units() as uow:
            due = uow.emails.due(now_ms, self._batch)
        claimed = []
        for email in due:
            with self._units() as uow:
                taken = uow.emails.lease(email, now_ms + self._lease_ms)
                uow.commit()
            if taken:
                claimed.append(email)
        return claimed

    def recipients(self, account_id: str) -> list[str]:
        """The organization's billing email, then opted-in users with billing access."""
        if not account_id:
            return [self._operators_email] if self._operators_email else []
        found = []
        billing = self._directory.billing_email(account_id)
        if billing:
            found.append(billing)
        with self._units() as uow:
            users = uow.emails.billing_users(account_id, MAX_RECIPIENTS)
        for email in users:
            if email.lower() not in {known.lower() for known in found}:
                found.append(email)
        return found

    def _send(self, email: PendingEmail) -> None:
        event_id, account_id = email.event_id, email.account_id
        already = {address for address in email.sent_to.split(",") if address}
        sent: list[str] = []
        problem = ""
        try:
            addressed = [email.to_address] if email.to_address else self.recipients(account_id)
            recipients = [r for r in addressed if r not in already]
            if not recipients and not already:
                self._finish(email, SKIPPED, "", "no recipient")
                return
            sent = self._mailer.send(self._emails(email, recipients))
        except MailError as error:
            sent, problem = error.sent, str(error)
        except Exception as error:  # invoicing unreachable, a PDF that would not come
            problem = f"{type(error).__name__}: {error}"[:300]
        done = ",".join(sorted(already | set(sent)))
        if not problem:
            self._finish(email, SENT, done, "")
            return
        attempts = email.attempts + 1
        now_ms = self._clock.now_ms()
        due = self._retries.next_attempt_ms(now_ms, attempts, self._draw(), email.give_up_ms)
        log.warning("email not sent", extra={"event_id": event_id, "error": problem})
        state = PENDING if due is not None else FAILED
        with self._units() as uow:
            uow.emails.settle(event_id, state, attempts, due, done, problem, now_ms)
            uow.commit()

    def _emails(self, email: PendingEmail, recipients: list[str]) -> list[Email]:
        subject, account_id = email.subject, email.account_id
        lines = [line for line in email.body.split("\n") if line]
        attachments: tuple[Attachment, ...] = ()
        if email.invoice_id and recipients:
            pdf = self._directory.invoice_pdf(account_id, email.invoice_id)
            attachments = (Attachment(f"{email.invoice_id}.pdf", pdf),)
        return [
            Email(
                to=address,
                subject=subject,
                text=text_body(subject, lines, account_id),
                html=html_body(subject, lines, account_id),
                attachments=attachments,
                message_id=(
                    f"<{uuid.uuid5(MESSAGE_IDS, email.event_id + ':' + address).hex}"
                    "@billing.notifications>"
                ),
            )
            for address in recipients
        ]

    def _finish(self, email: PendingEmail, state: str, sent_to: str, problem: str) -> None:
        with self._units() as uow:
            uow.emails.settle(
                email.event_id,
                state,
                email.attempts + 1,
                None,
                sent_to,
                problem,
                self._clock.now_ms(),
            )
            uow.commit()
