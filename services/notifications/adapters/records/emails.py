"""Emails waiting to go out, and who is told an account's billing news, in SQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.notifications.adapters import tables
from services.notifications.service.intake import PENDING
from services.notifications.service.ports import PendingEmail


class SqlEmailRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def due(self, now_ms: int, limit: int) -> list[PendingEmail]:
        m = tables.emails.c
        rows = self._connection.execute(
            sa.select(tables.emails)
            .where(m.state == PENDING, m.next_attempt_ms <= now_ms)
            .order_by(m.next_attempt_ms)
            .limit(limit)
        ).mappings()
        return [
            PendingEmail(
                event_id=row["event_id"],
                account_id=row["account_id"],
                subject=row["subject"],
                body=row["body"],
                invoice_id=row["invoice_id"],
                to_address=row["to_address"],
                sent_to=row["sent_to"],
                attempts=row["attempts"],
                next_attempt_ms=row["next_attempt_ms"],
                give_up_ms=row["give_up_ms"],
            )
            for row in rows
        ]

    def lease(self, email: PendingEmail, until_ms: int) -> bool:
        m = tables.emails.c
        taken = self._connection.execute(
            tables.emails.update()
            .where(
                m.event_id == email.event_id,
                m.state == PENDING,
                m.next_attempt_ms == email.next_attempt_ms,
            )
            .values(next_attempt_ms=until_ms)
        ).rowcount
        return bool(taken)

    def billing_users(self, account_id: str, limit: int) -> list[str]:
        u = tables.users.c
        return list(
            self._connection.execute(
                sa.select(u.email)
                .where(
                    u.account_id == account_id,
                    u.removed.is_(False),
                    u.billing_emails.is_(True),
                    sa.or_(u.billing_access.is_(True), u.role == "owner"),
                )
                .order_by(u.email)
                .limit(limit)
            ).scalars()
        )

    def settle(
        self,
        event_id: str,
        state: str,
        attempts: int,
        next_attempt_ms: int | None,
        sent_to: str,
        problem: str,
        now_ms: int,
    ) -> None:
        self._connection.execute(
            tables.emails.update()
            .where(tables.emails.c.event_id == event_id)
            .values(
                state=state,
                attempts=attempts,
                next_attempt_ms=next_attempt_ms,
                sent_to=sent_to,
                problem=problem,
                updated_ms=now_ms,
            )
        )
