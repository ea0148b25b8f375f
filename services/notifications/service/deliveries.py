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

from services.common import metrics
from services.common.clock import Clock
from services.notifications.domain.events import Notice, endpoint_disabled
from services.notifications.domain.retry import RetrySchedule
from services.notifications.service.intake import FAILED, PENDING, SUCCEEDED
from services.notifications.service.ports import (
    DueDelivery,
    Outcome,
    RecordedEvent,
    UnitOfWork,
    UnitsOfWork,
)

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
        units: UnitsOfWork,
        clock: Clock,
        send: Send,
        retries: RetrySchedule,
        lease_ms: int,
        disable_after_ms: int,
        threads: int,
        batch: int,
        announce: Callable[[Sequence[Notice]], int],
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._units = units
        self._clock = clock
        self._send = send
        self._retries = retries
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
        with self._units() as uow:
            due = uow.dispatch.due(now_ms, self._batch)
        if not due:
            return []
        with self._units() as uow:
            claimed = [d for d in due if uow.dispatch.lease(d, now_ms + self._lease_ms)]
            uow.commit()
        if not claimed:
            return []
        return self._prepared(claimed, now_ms)

    def _prepared(self, claimed: list[DueDelivery], now_ms: int) -> list[Claimed]:
        endpoint_ids = sorted({item.endpoint_id for item in claimed})
        event_ids = sorted({item.event_id for item in claimed})
        with self._units() as uow:
            targets = uow.dispatch.targets(endpoint_ids)
            events = uow.dispatch.events(event_ids)
            secrets = uow.dispatch.signing_secrets(endpoint_ids, now_ms)
        ready = []
        for item in claimed:
            target = targets.get(item.endpoint_id)
            if target is None or not target.live:
                self._stop(item.delivery_id, "the endpoint is disabled or removed")
                continue
            ready.append(
                Claimed(
                    delivery_id=item.delivery_id,
                    endpoint_id=item.endpoint_id,
                    account_id=item.account_id,
                    attempts=item.attempts,
                    give_up_ms=item.give_up_ms,
                    url=target.url,
                    body=payload(events[item.event_id]),
                    secrets=tuple(secrets.get(item.endpoint_id, ())),
                )
            )
        return ready

    def _stop(self, delivery_id: str, why: str) -> None:
        now_ms = self._clock.now_ms()
        with self._units() as uow:
            uow.dispatch.add_attempt(delivery_id, now_ms, 0, 0, why)
            uow.dispatch.settle(delivery_id, FAILED, None, None, now_ms)
            uow.commit()

    def _record(self, item: Claimed, outcome: Outcome) -> None:
        now_ms = self._clock.now_ms()
        attempts = item.attempts + 1
        due: int | None = None
        if outcome.succeeded:
            state = SUCCEEDED
        else:
            due = self._retries.next_attempt_ms(now_ms, attempts, self._draw(), item.give_up_ms)
            state = PENDING if due is not None else FAILED
        with self._units() as uow:
            uow.dispatch.add_attempt(
                item.delivery_id, now_ms, outcome.status_code, outcome.latency_ms, outcome.excerpt
            )
            uow.dispatch.settle(item.delivery_id, state, attempts, due, now_ms)
            disabled = self._endpoint_health(uow, item, outcome.succeeded, now_ms)
            uow.commit()
        result = "succeeded" if outcome.succeeded else "retrying" if state == PENDING else "failed"
        metrics.instruments().webhook_deliveries.add(1, {"outcome": result})
        if disabled is not None:
            log.warning("webhook endpoint disabled", extra={"endpoint_id": item.endpoint_id})
            self._announce([disabled])

    def _endpoint_health(
        self, uow: UnitOfWork, item: Claimed, succeeded: bool, now_ms: int
    ) -> Notice | None:
        """Success clears the failure record; failing for disable_after_ms disables it."""
        if succeeded:
            uow.dispatch.clear_failing(item.endpoint_id)
            return None
        since = uow.dispatch.mark_failing(item.endpoint_id, now_ms)
        if since is None:
            return None
        failing_since_ms, enabled = since
        if not enabled or now_ms - failing_since_ms < self._disable_after_ms:
            return None
        failing_since = _iso(failing_since_ms)
        uow.dispatch.disable(
            item.endpoint_id, f"every delivery failed since {failing_since}", now_ms
        )
        event_id = uuid.uuid5(DISABLED_EVENTS, f"{item.endpoint_id}:{failing_since_ms}").hex
        return endpoint_disabled(
            event_id, item.account_id, item.endpoint_id, item.url, failing_since, now_ms
        )


def payload(event: RecordedEvent) -> str:
    """The body every attempt of the event sends: {type, timestamp, data} (Standard Webhooks)."""
    return json.dumps(
        {
            "type": event.event_type,
            "timestamp": _iso(event.occurred_ms),
            "event_id": event.event_id,
            "data": json.loads(event.data_json),
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _iso(milliseconds: int) -> str:
    import datetime as dt

    moment = dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
