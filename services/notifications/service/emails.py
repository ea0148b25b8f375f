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

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from services.common.clock import Clock
from services.notifications.adapters import tables
from services.notifications.adapters.mail import Attachment, Email, Mailer, MailError
from services.notifications.domain.emails import html_body, text_body
from services.notifications.domain.retry import Backoff
from services.notifications.service.intake import FAILED, PENDING, SENT, SKIPPED

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 50
MESSAGE_IDS = uuid.UUID("8f6f3c1e-93c2-4d53-a2a8-6c5f0f1d7e44")


class Directory(Protocol):
    def billing_email(self, account_id: str) -> str: ...

    def invoice_pdf(self, account_id: str, invoice_id: str) -> bytes: ...


class EmailSender:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        mailer: Mailer,
        directory: Directory,
        backoff: Backoff,
        lease_ms: int,
        operators_email: str,
        batch: int = 20,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._mailer = mailer
        self._directory = directory
        self._backoff = backoff
        self._lease_ms = lease_ms
        self._operators_email = operators_email
        self._batch = batch
        self._draw = draw

    def step(self) -> int:
        rows = self._claim()
        for row in rows:
            self._send(row)
        return len(rows)

    def _claim(self) -> list[RowMapping]:
        now_ms = self._clock.now_ms()
        m = tables.emails.c
        with self._engine.connect() as connection:
            due = (
                connection.execute(
                    sa.select(tables.emails)
                    .where(m.state == PENDING, m.next_attempt_ms <= now_ms)
                    .order_by(m.next_attempt_ms)
                    .limit(self._batch)
                )
                .mappings()
                .all()
            )
        claimed = []
        for row in due:
            with self._engine.begin() as connection:
                taken = connection.execute(
                    tables.emails.update()
                    .where(
                        m.event_id == row["event_id"],
                        m.state == PENDING,
                        m.next_attempt_ms == row["next_attempt_ms"],
                    )
                    .values(next_attempt_ms=now_ms + self._lease_ms)
                ).rowcount
            if taken:
                claimed.append(row)
        return claimed

    def recipients(self, account_id: str) -> list[str]:
        """The organization's billing email, then opted-in users with billing access."""
        if not account_id:
            return [self._operators_email] if self._operators_email else []
        found = []
        billing = self._directory.billing_email(account_id)
        if billing:
            found.append(billing)
        u = tables.users.c
        with self._engine.connect() as connection:
            users = connection.execute(
                sa.select(u.email)
                .where(
                    u.account_id == account_id,
                    u.removed.is_(False),
                    u.billing_emails.is_(True),
                    sa.or_(u.billing_access.is_(True), u.role == "owner"),
                )
                .order_by(u.email)
                .limit(MAX_RECIPIENTS)
            ).scalars()
            for email in users:
                if email.lower() not in {known.lower() for known in found}:
                    found.append(email)
        return found

    def _send(self, row: RowMapping) -> None:
        event_id, account_id = row["event_id"], row["account_id"]
        already = {address for address in row["sent_to"].split(",") if address}
        sent: list[str] = []
        problem = ""
        try:
            addressed = [row["to_address"]] if row["to_address"] else self.recipients(account_id)
            recipients = [r for r in addressed if r not in already]
            if not recipients and not already:
                self._finish(row, SKIPPED, "", "no recipient")
                return
            emails = self._emails(row, recipients)
            sent = self._mailer.send(emails)
        except MailError as error:
            sent, problem = error.sent, str(error)
        except Exception as error:  # invoicing unreachable, a PDF that would not come
            problem = f"{type(error).__name__}: {error}"[:300]
        done = ",".join(sorted(already | set(sent)))
        if not problem:
            self._finish(row, SENT, done, "")
            return
        attempts = row["attempts"] + 1
        now_ms = self._clock.now_ms()
        due = self._backoff.next_attempt_ms(now_ms, attempts, self._draw(), row["give_up_ms"])
        log.warning("email not sent", extra={"event_id": event_id, "error": problem})
        with self._engine.begin() as connection:
            connection.execute(
                tables.emails.update()
                .where(tables.emails.c.event_id == event_id)
                .values(
                    state=PENDING if due is not None else FAILED,
                    attempts=attempts,
                    next_attempt_ms=due,
                    sent_to=done,
                    problem=problem,
                    updated_ms=now_ms,
                )
            )

    def _emails(self, row: RowMapping, recipients: list[str]) -> list[Email]:
        subject, account_id = row["subject"], row["account_id"]
        lines = [line for line in row["body"].split("\n") if line]
        attachments: tuple[Attachment, ...] = ()
        if row["invoice_id"] and recipients:
            pdf = self._directory.invoice_pdf(account_id, row["invoice_id"])
            attachments = (Attachment(f"{row['invoice_id']}.pdf", pdf),)
        return [
            Email(
                to=address,
                subject=subject,
                text=text_body(subject, lines, account_id),
                html=html_body(subject, lines, account_id),
                attachments=attachments,
                message_id=(
                    f"<{uuid.uuid5(MESSAGE_IDS, row['event_id'] + ':' + address).hex}"
                    "@billing.notifications>"
                ),
            )
            for address in recipients
        ]

    def _finish(self, row: RowMapping, state: str, sent_to: str, problem: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                tables.emails.update()
                .where(tables.emails.c.event_id == row["event_id"])
                .values(
                    state=state,
                    attempts=row["attempts"] + 1,
                    next_attempt_ms=None,
                    sent_to=sent_to,
                    problem=problem,
                    updated_ms=self._clock.now_ms(),
                )
            )
