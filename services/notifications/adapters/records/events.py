"""Events received, with the deliveries and emails each is recorded with, in SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.notifications.adapters import tables
from services.notifications.domain.events import Notice
from services.notifications.service.intake import PENDING
from services.notifications.service.ports import NewDelivery, NewEmail, Subscription


class SqlEventRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def seen(self, event_ids: Sequence[str]) -> set[str]:
        events = tables.events.c
        query = sa.select(events.event_id).where(events.event_id.in_(list(event_ids)))
        return set(self._connection.execute(query).scalars())

    def add(self, notices: Sequence[Notice], received_ms: int) -> None:
        self._connection.execute(
            sa.insert(tables.events),
            [
                {
                    "event_id": notice.event_id,
                    "account_id": notice.account_id,
                    "event_type": notice.event_type,
                    "data": json.dumps(notice.data, sort_keys=True, separators=(",", ":")),
                    "occurred_ms": notice.occurred_ms,
                    "received_ms": received_ms,
                }
                for notice in notices
            ],
        )

    def subscriptions(self, account_ids: Sequence[str]) -> list[Subscription]:
        e = tables.endpoints.c
        rows = self._connection.execute(
            sa.select(e.endpoint_id, e.account_id, e.event_types).where(
                e.account_id.in_(list(account_ids)), e.enabled.is_(True), e.deleted.is_(False)
            )
        ).all()
        return [
            Subscription(
                row.endpoint_id, row.account_id, tuple(t for t in row.event_types.split(",") if t)
            )
            for row in rows
        ]

    def add_deliveries(self, deliveries: Sequence[NewDelivery]) -> None:
        if not deliveries:
            return
        self._connection.execute(
            sa.insert(tables.deliveries),
            [
                {
                    "delivery_id": item.delivery_id,
                    "endpoint_id": item.endpoint_id,
                    "account_id": item.account_id,
                    "event_id": item.event_id,
                    "event_type": item.event_type,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_ms": item.created_ms,
                    "give_up_ms": item.give_up_ms,
                    "created_ms": item.created_ms,
                    "updated_ms": item.created_ms,
                }
                for item in deliveries
            ],
        )

    def add_emails(self, emails: Sequence[NewEmail]) -> None:
        if not emails:
            return
        self._connection.execute(
            sa.insert(tables.emails),
            [
                {
                    "event_id": item.event_id,
                    "account_id": item.account_id,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_ms": item.created_ms,
                    "give_up_ms": item.give_up_ms,
                    "sent_to": "",
                    "problem": "",
                    "subject": item.subject,
                    "body": item.body,
                    "invoice_id": item.invoice_id,
                    "to_address": item.to_address,
                    "created_ms": item.created_ms,
                    "updated_ms": item.created_ms,
                }
                for item in emails
            ],
        )
