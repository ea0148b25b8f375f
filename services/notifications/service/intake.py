"""Events in: each recorded once (by event id) with, in the same transaction, a delivery per
subscribed endpoint and the email that announces it."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.clock import Clock
from services.common.streams import Entry
from services.notifications.adapters import tables
from services.notifications.domain.events import OPERATIONS_ALERT, Notice, notice_of
from services.notifications.domain.retry import Backoff

log = logging.getLogger(__name__)
PENDING, SUCCEEDED, FAILED, SENT, SKIPPED = "pending", "succeeded", "failed", "sent", "skipped"
DELIVERY_IDS = uuid.UUID("0b8d9e52-31a4-4c57-9d0e-6f1f4a2c7b19")


def delivery_id(endpoint_id: str, event_id: str) -> str:
    """The webhook-id of an event's delivery to one endpoint: the same however often it is
    recorded, attempted or replayed."""
    return "msg_" + uuid.uuid5(DELIVERY_IDS, f"{endpoint_id}:{event_id}").hex


def subscribed(event_types: str, event_type: str) -> bool:
    return not event_types or event_type in event_types.split(",")


class Intake:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        backoff: Backoff,
        email_backoff: Backoff,
        operators_email: str,
        after_record: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._backoff = backoff
        self._email_backoff = email_backoff
        self._operators_email = operators_email
        self.after_record = list(after_record)

    def handle(self, entries: list[Entry]) -> None:
        """A consumer's batch: the entries this service announces are recorded."""
        notices = []
        for _entry_id, fields in entries:
            payload = fields.get(b"event")
            if payload is None:
                raise ValueError("stream entry without an event")
            notice = notice_of(fields.get(b"type", b"").decode(), payload)
            if notice is not None:
                notices.append(notice)
        self.record(notices)

    def record(self, notices: Sequence[Notice]) -> int:
        """Record the notices not seen before; the number recorded."""
        if not notices:
            return 0
        now_ms = self._clock.now_ms()
        with self._engine.begin() as connection:
            recorded = self._record(connection, notices, now_ms)
        if recorded:
            for wake in self.after_record:
                wake()
        return recorded

    def _record(self, connection: Connection, notices: Sequence[Notice], now_ms: int) -> int:
        events = tables.events.c
        unique = {notice.event_id: notice for notice in notices}
        seen = set(
            connection.execute(
                sa.select(events.event_id).where(events.event_id.in_(list(unique)))
            ).scalars()
        )
        new = [notice for event_id, notice in unique.items() if event_id not in seen]
        if not new:
            return 0
        connection.execute(
            sa.insert(tables.events),
            [
                {
                    "event_id": notice.event_id,
                    "account_id": notice.account_id,
                    "event_type": notice.event_type,
                    "data": json.dumps(notice.data, sort_keys=True, separators=(",", ":")),
                    "occurred_ms": notice.occurred_ms,
                    "received_ms": now_ms,
                }
                for notice in new
            ],
        )
        deliveries = self._deliveries(connection, new, now_ms)
        if deliveries:
            connection.execute(sa.insert(tables.deliveries), deliveries)
        emails = [
            {
                "event_id": notice.event_id,
                "account_id": notice.account_id,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_ms": now_ms,
                "give_up_ms": now_ms + self._email_backoff.period_ms,
                "sent_to": "",
                "problem": "",
                "subject": notice.subject[:300],
                "body": "\n".join(notice.lines),
                "invoice_id": notice.invoice_id,
                "to_address": notice.to_address,
                "created_ms": now_ms,
                "updated_ms": now_ms,
            }
            for notice in new
            if notice.emailed and (notice.event_type != OPERATIONS_ALERT or self._operators_email)
        ]
        if emails:
            connection.execute(sa.insert(tables.emails), emails)
        return len(new)

    def _deliveries(
        self, connection: Connection, notices: Sequence[Notice], now_ms: int
    ) -> list[dict[str, object]]:
        accounts = sorted({notice.account_id for notice in notices if notice.account_id})
        if not accounts:
            return []
        endpoints = tables.endpoints.c
        rows = connection.execute(
            sa.select(endpoints.endpoint_id, endpoints.account_id, endpoints.event_types).where(
                endpoints.account_id.in_(accounts),
                endpoints.enabled.is_(True),
                endpoints.deleted.is_(False),
            )
        ).all()
        by_account: dict[str, list[Any]] = {}
        for row in rows:
            by_account.setdefault(row.account_id, []).append(row)
        return [
            {
                "delivery_id": delivery_id(endpoint.endpoint_id, notice.event_id),
                "endpoint_id": endpoint.endpoint_id,
                "account_id": notice.account_id,
                "event_id": notice.event_id,
                "event_type": notice.event_type,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_ms": now_ms,
                "give_up_ms": now_ms + self._backoff.period_ms,
                "created_ms": now_ms,
                "updated_ms": now_ms,
            }
            for notice in notices
            for endpoint in by_account.get(notice.account_id, [])
            if subscribed(endpoint.event_types, notice.event_type)
        ]
