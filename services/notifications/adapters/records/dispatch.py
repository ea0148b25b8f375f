"""What the webhook dispatcher claims, sends and records, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.notifications.adapters import tables
from services.notifications.service.intake import PENDING
from services.notifications.service.ports import DueDelivery, RecordedEvent, WebhookTarget


class SqlDispatchRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def due(self, now_ms: int, limit: int) -> list[DueDelivery]:
        d = tables.deliveries.c
        rows = self._connection.execute(
            sa.select(tables.deliveries)
            .where(d.state == PENDING, d.next_attempt_ms <= now_ms)
            .order_by(d.next_attempt_ms)
            .limit(limit)
        ).mappings()
        return [
            DueDelivery(
                delivery_id=row["delivery_id"],
                endpoint_id=row["endpoint_id"],
                account_id=row["account_id"],
                event_id=row["event_id"],
                attempts=row["attempts"],
                next_attempt_ms=row["next_attempt_ms"],
                give_up_ms=row["give_up_ms"],
            )
            for row in rows
        ]

    def lease(self, delivery: DueDelivery, until_ms: int) -> bool:
        d = tables.deliveries.c
        taken = self._connection.execute(
            tables.deliveries.update()
            .where(
                d.delivery_id == delivery.delivery_id,
                d.state == PENDING,
                d.next_attempt_ms == delivery.next_attempt_ms,
            )
            .values(next_attempt_ms=until_ms)
        ).rowcount
        return bool(taken)

    def targets(self, endpoint_ids: Sequence[str]) -> dict[str, WebhookTarget]:
        e = tables.endpoints.c
        rows = self._connection.execute(
            sa.select(e.endpoint_id, e.url, e.enabled, e.deleted).where(
                e.endpoint_id.in_(list(endpoint_ids))
            )
        ).all()
        return {
            row.endpoint_id: WebhookTarget(
                row.endpoint_id, row.url, bool(row.enabled) and not row.deleted
            )
            for row in rows
        }

    def events(self, event_ids: Sequence[str]) -> dict[str, RecordedEvent]:
        ev = tables.events.c
        rows = self._connection.execute(
            sa.select(ev.event_id, ev.event_type, ev.occurred_ms, ev.data).where(
                ev.event_id.in_(list(event_ids))
            )
        ).all()
        return {
            row.event_id: RecordedEvent(row.event_id, row.event_type, row.occurred_ms, row.data)
            for row in rows
        }

    def signing_secrets(self, endpoint_ids: Sequence[str], now_ms: int) -> dict[str, list[str]]:
        s = tables.endpoint_secrets.c
        rows = self._connection.execute(
            sa.select(s.endpoint_id, s.secret)
            .where(
                s.endpoint_id.in_(list(endpoint_ids)),
                sa.or_(s.expire_ms.is_(None), s.expire_ms > now_ms),
            )
            .order_by(s.created_ms.desc())
        ).all()
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.endpoint_id, []).append(row.secret)
        return found

    def add_attempt(
        self, delivery_id: str, now_ms: int, status_code: int, latency_ms: int, excerpt: str
    ) -> None:
        self._connection.execute(
            sa.insert(tables.attempts).values(
                delivery_id=delivery_id,
                attempted_ms=now_ms,
                status_code=status_code,
                latency_ms=latency_ms,
                response_excerpt=excerpt[:500],
            )
        )

    def settle(
        self,
        delivery_id: str,
        state: str,
        attempts: int | None,
        next_attempt_ms: int | None,
        now_ms: int,
    ) -> None:
        values: dict[str, Any] = {
            "state": state,
            "next_attempt_ms": next_attempt_ms,
            "updated_ms": now_ms,
        }
        if attempts is not None:
            values["attempts"] = attempts
        self._connection.execute(
            tables.deliveries.update()
            .where(tables.deliveries.c.delivery_id == delivery_id)
            .values(**values)
        )

    def clear_failing(self, endpoint_id: str) -> None:
        e = tables.endpoints.c
        self._connection.execute(
            tables.endpoints.update()
            .where(e.endpoint_id == endpoint_id, e.failing_since_ms.is_not(None))
            .values(failing_since_ms=None)
        )

    def mark_failing(self, endpoint_id: str, now_ms: int) -> tuple[int, bool] | None:
        e = tables.endpoints.c
        self._connection.execute(
            tables.endpoints.update()
            .where(e.endpoint_id == endpoint_id, e.failing_since_ms.is_(None))
            .values(failing_since_ms=now_ms)
        )
        row = self._connection.execute(
            sa.select(e.failing_since_ms, e.enabled).where(e.endpoint_id == endpoint_id)
        ).first()
        return None if row is None else (row.failing_since_ms, bool(row.enabled))

    def disable(self, endpoint_id: str, reason: str, now_ms: int) -> None:
        self._connection.execute(
            tables.endpoints.update()
            .where(tables.endpoints.c.endpoint_id == endpoint_id)
            .values(enabled=False, disabled_reason=reason, updated_ms=now_ms)
        )
