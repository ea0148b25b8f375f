"""The delivery log an endpoint's owner reads and replays, in SQL."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from services.notifications.adapters import tables
from services.notifications.service.commands import AttemptView, DeliveryView
from services.notifications.service.intake import FAILED, PENDING

ATTEMPTS_SHOWN = 20
UPDATE_CHUNK = 500


class SqlDeliveryLog:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def page(
        self, endpoint_id: str, state: str | None, limit: int, offset: int
    ) -> list[DeliveryView]:
        d = tables.deliveries.c
        query = sa.select(tables.deliveries).where(d.endpoint_id == endpoint_id)
        if state is not None:
            query = query.where(d.state == state)
        rows = (
            self._connection.execute(
                query.order_by(d.created_ms.desc(), d.delivery_id).limit(limit).offset(offset)
            )
            .mappings()
            .all()
        )
        return self._with_attempts(rows)

    def load(self, endpoint_id: str, delivery_id: str) -> DeliveryView | None:
        d = tables.deliveries.c
        rows = (
            self._connection.execute(
                sa.select(tables.deliveries).where(
                    d.delivery_id == delivery_id, d.endpoint_id == endpoint_id
                )
            )
            .mappings()
            .all()
        )
        found = self._with_attempts(rows)
        return found[0] if found else None

    def failed_since(self, endpoint_id: str, since_ms: int, limit: int) -> list[str]:
        d = tables.deliveries.c
        chosen = (
            sa.select(d.delivery_id)
            .where(d.endpoint_id == endpoint_id, d.state == FAILED, d.created_ms >= since_ms)
            .order_by(d.created_ms)
            .limit(limit)
        )
        return list(self._connection.execute(chosen).scalars())

    def send_again(
        self, delivery_ids: Sequence[str], now_ms: int, give_up_ms: int, only_failed: bool
    ) -> None:
        d = tables.deliveries.c
        ids = list(delivery_ids)
        for start in range(0, len(ids), UPDATE_CHUNK):
            chunk = d.delivery_id.in_(ids[start : start + UPDATE_CHUNK])
            self._connection.execute(
                tables.deliveries.update()
                .where(chunk, d.state == FAILED if only_failed else sa.true())
                .values(
                    state=PENDING,
                    next_attempt_ms=now_ms,
                    give_up_ms=give_up_ms,
                    updated_ms=now_ms,
                )
            )

    def fail_pending(self, endpoint_id: str, now_ms: int) -> None:
        d = tables.deliveries.c
        self._connection.execute(
            tables.deliveries.update()
            .where(d.endpoint_id == endpoint_id, d.state == PENDING)
            .values(state=FAILED, next_attempt_ms=None, updated_ms=now_ms)
        )

    def _with_attempts(self, rows: Sequence[RowMapping]) -> list[DeliveryView]:
        attempts = self._attempts([row["delivery_id"] for row in rows])
        return [_delivery(row, attempts.get(row["delivery_id"], [])) for row in rows]

    def _attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[AttemptView]]:
        if not delivery_ids:
            return {}
        a = tables.attempts.c
        rows = self._connection.execute(
            sa.select(tables.attempts)
            .where(a.delivery_id.in_(list(delivery_ids)))
            .order_by(a.attempted_ms.desc(), a.attempt_id.desc())
        ).mappings()
        found: dict[str, list[AttemptView]] = {}
        for row in rows:
            shown = found.setdefault(row["delivery_id"], [])
            if len(shown) < ATTEMPTS_SHOWN:
                shown.append(
                    AttemptView(
                        status_code=row["status_code"],
                        latency_ms=row["latency_ms"],
                        response_excerpt=row["response_excerpt"],
                        attempted_ms=row["attempted_ms"],
                    )
                )
        return found


def _delivery(row: RowMapping, attempts: Sequence[AttemptView]) -> DeliveryView:
    pending = row["state"] == PENDING
    return DeliveryView(
        delivery_id=row["delivery_id"],
        endpoint_id=row["endpoint_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        state=row["state"],
        attempt_count=row["attempts"],
        created_ms=row["created_ms"],
        next_attempt_ms=row["next_attempt_ms"] if pending else None,
        attempts=tuple(attempts),
    )
