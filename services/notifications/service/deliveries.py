"""Webhook deliveries: each attempted until the endpoint answers 2xx, with backoff and jitter
for the retry period, always with the same webhook-id.

An attempt is claimed first (its next_attempt_ms moved past the lease, by a conditional update
no other process can win too), then sent outside any transaction, then recorded. A process
killed mid-attempt leaves the delivery to be taken again when the lease ends: the receiver may
see it twice, with the same webhook-id.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from services.common import metrics
from services.common.clock import Clock
from services.notifications.adapters import tables
from services.notifications.adapters.webhooks import Outcome
from services.notifications.domain.events import Notice, endpoint_disabled
from services.notifications.domain.retry import Backoff
from services.notifications.service.intake import FAILED, PENDING, SUCCEEDED
from services.notifications.service.secrets import signing_secrets

log = logging.getLogger(__name__)
DISABLED_EVENTS = uuid.UUID("f3a1d7a4-5a43-4d0b-8e0c-0c6c8a0a9d21")
Send = Callable[[str, str, str, Sequence[str]], Outcome]


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: str
    endpoint_id: str
    account_id: str
    attempts: int
    give_up_ms: int
    url: str
    body: str
    secrets: tuple[str, ...]


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        send: Send,
        backoff: Backoff,
        lease_ms: int,
        disable_after_ms: int,
        threads: int,
        batch: int,
        announce: Callable[[Sequence[Notice]], int],
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._send = send
        self._backoff = backoff
        self._lease_ms = lease_ms
        self._disable_after_ms = disable_after_ms
        self._batch = batch
        self._announce = announce
        self._draw = draw
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def step(self) -> int:
        """Attempt the deliveries that are due (at most one batch); the number attempted."""
        claimed = self._claim()
        if not claimed:
            return 0
        outcomes = list(
            self._pool.map(
                lambda item: self._send(item.url, item.delivery_id, item.body, item.secrets),
                claimed,
            )
        )
        for item, outcome in zip(claimed, outcomes, strict=True):
            self._record(item, outcome)
        return len(claimed)

    def _claim(self) -> list[Claimed]:
        now_ms = self._clock.now_ms()
        d = tables.deliveries.c
        with self._engine.connect() as connection:
            due = (
                connection.execute(
                    sa.select(tables.deliveries)
                    .where(d.state == PENDING, d.next_attempt_ms <= now_ms)
                    .order_by(d.next_attempt_ms)
                    .limit(self._batch)
                )
                .mappings()
                .all()
            )
        if not due:
            return []
        claimed: list[RowMapping] = []
        with self._engine.begin() as connection:
            for row in due:
                taken = connection.execute(
                    tables.deliveries.update()
                    .where(
                        d.delivery_id == row["delivery_id"],
                        d.state == PENDING,
                        d.next_attempt_ms == row["next_attempt_ms"],
                    )
                    .values(next_attempt_ms=now_ms + self._lease_ms)
                ).rowcount
                if taken:
                    claimed.append(row)
        if not claimed:
            return []
        return self._prepared(claimed, now_ms)

    def _prepared(self, rows: list[RowMapping], now_ms: int) -> list[Claimed]:
        endpoint_ids = sorted({row["endpoint_id"] for row in rows})
        event_ids = sorted({row["event_id"] for row in rows})
        e, ev = tables.endpoints.c, tables.events.c
        with self._engine.connect() as connection:
            endpoints = {
                row["endpoint_id"]: row
                for row in connection.execute(
                    sa.select(tables.endpoints).where(e.endpoint_id.in_(endpoint_ids))
                ).mappings()
            }
            events = {
                row["event_id"]: row
                for row in connection.execute(
                    sa.select(tables.events).where(ev.event_id.in_(event_ids))
                ).mappings()
            }
            secrets = signing_secrets(connection, endpoint_ids, now_ms)
        ready = []
        for row in rows:
            endpoint = endpoints.get(row["endpoint_id"])
            if endpoint is None or endpoint["deleted"] or not endpoint["enabled"]:
                self._stop(row["delivery_id"], "the endpoint is disabled or removed")
                continue
            event = events[row["event_id"]]
            ready.append(
                Claimed(
                    delivery_id=row["delivery_id"],
                    endpoint_id=row["endpoint_id"],
                    account_id=row["account_id"],
                    attempts=row["attempts"],
                    give_up_ms=row["give_up_ms"],
                    url=endpoint["url"],
                    body=payload(event),
                    secrets=tuple(secrets.get(row["endpoint_id"], ())),
                )
            )
        return ready

    def _stop(self, delivery_id: str, why: str) -> None:
        now_ms = self._clock.now_ms()
        with self._engine.begin() as connection:
            _attempt(connection, delivery_id, now_ms, Outcome(0, 0, why))
            connection.execute(
                tables.deliveries.update()
                .where(tables.deliveries.c.delivery_id == delivery_id)
                .values(state=FAILED, next_attempt_ms=None, updated_ms=now_ms)
            )

    def _record(self, item: Claimed, outcome: Outcome) -> None:
        now_ms = self._clock.now_ms()
        attempts = item.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "updated_ms": now_ms}
        if outcome.succeeded:
            values.update(state=SUCCEEDED, next_attempt_ms=None)
        else:
            due = self._backoff.next_attempt_ms(now_ms, attempts, self._draw(), item.give_up_ms)
            values.update(state=PENDING if due is not None else FAILED, next_attempt_ms=due)
        disabled: Notice | None = None
        with self._engine.begin() as connection:
            _attempt(connection, item.delivery_id, now_ms, outcome)
            connection.execute(
                tables.deliveries.update()
                .where(tables.deliveries.c.delivery_id == item.delivery_id)
                .values(**values)
            )
            disabled = self._endpoint_health(connection, item, outcome.succeeded, now_ms)
        result = (
            "succeeded"
            if outcome.succeeded
            else "retrying"
            if values["state"] == PENDING
            else "failed"
        )
        metrics.instruments().webhook_deliveries.add(1, {"outcome": result})
        if disabled is not None:
            log.warning("webhook endpoint disabled", extra={"endpoint_id": item.endpoint_id})
            self._announce([disabled])

    def _endpoint_health(
        self, connection: Connection, item: Claimed, succeeded: bool, now_ms: int
    ) -> Notice | None:
        """Success clears the failure record; failing for disable_after_ms disables it."""
        e = tables.endpoints.c
        where = tables.endpoints.update().where(e.endpoint_id == item.endpoint_id)
        if succeeded:
            connection.execute(
                where.where(e.failing_since_ms.is_not(None)).values(failing_since_ms=None)
            )
            return None
        connection.execute(
            where.where(e.failing_since_ms.is_(None)).values(failing_since_ms=now_ms)
        )
        since = connection.execute(
            sa.select(e.failing_since_ms, e.enabled).where(e.endpoint_id == item.endpoint_id)
        ).first()
        if (
            since is None
            or not since.enabled
            or now_ms - since.failing_since_ms < (self._disable_after_ms)
        ):
            return None
        failing_since = _iso(since.failing_since_ms)
        connection.execute(
            where.values(
                enabled=False,
                disabled_reason=f"every delivery failed since {failing_since}",
                updated_ms=now_ms,
            )
        )
        event_id = uuid.uuid5(DISABLED_EVENTS, f"{item.endpoint_id}:{since.failing_since_ms}").hex
        return endpoint_disabled(
            event_id, item.account_id, item.endpoint_id, item.url, failing_since, now_ms
        )


def payload(event: RowMapping) -> str:
    """The body every attempt of the event sends: {type, timestamp, data} (Standard Webhooks)."""
    return json.dumps(
        {
            "type": event["event_type"],
            "timestamp": _iso(event["occurred_ms"]),
            "event_id": event["event_id"],
            "data": json.loads(event["data"]),
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _attempt(connection: Connection, delivery_id: str, now_ms: int, outcome: Outcome) -> None:
    connection.execute(
        sa.insert(tables.attempts).values(
            delivery_id=delivery_id,
            attempted_ms=now_ms,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt[:500],
        )
    )


def _iso(milliseconds: int) -> str:
    import datetime as dt

    moment = dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
