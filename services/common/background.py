"""Background work, written once: a loop with bounded backoff, and a stream consumer whose
failures are retried a bounded number of times, then set aside with an alert.

Bounds, named: a step handles at most `batch` entries; an entry is delivered at most
`RetryPolicy.max_attempts` times, each retry waiting twice as long as the one before (from
`first_retry_ms` up to `max_retry_ms`); a failing loop waits at most `MAX_BACKOFF_S`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from billing.common.v1 import operations_pb2

from services.common import event_streams, metrics
from services.common.config import Env
from services.common.redis_client import RedisClient
from services.common.streams import Entry, GroupReader, Pending

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 5.0
MAX_ERROR_CHARS = 300
Step = Callable[[], int]
BatchHandler = Callable[[list[Entry]], object]


class Loop:
    """A daemon thread stepping until stopped. While a step finds work (returns > 0) the next
    runs at once; idle, it waits `interval_s`, doubled after each idle step up to
    `idle_max_s`; after a failure it waits twice as long as after the last one, up to
    MAX_BACKOFF_S."""

    def __init__(
        self, name: str, step: Step, interval_s: float, idle_max_s: float | None = None
    ) -> None:
        self.name = name
        self.step = step
        self._interval_s = interval_s
        self._idle_max_s = max(interval_s, idle_max_s if idle_max_s is not None else interval_s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        """Step now instead of finishing an idle wait."""
        self._wake.set()

    def _run(self) -> None:
        idle_s = self._interval_s
        failing_s = 0.0
        while not self._stop.is_set():
            try:
                done = self.step()
            except Exception:
                log.exception("background step failed", extra={"worker": self.name})
                failing_s = min(max((failing_s or self._interval_s) * 2, 0.1), MAX_BACKOFF_S)
                self._stop.wait(failing_s)
                continue
            failing_s = 0.0
            if done:
                idle_s = self._interval_s
                continue
            self._wake.wait(idle_s)
            self._wake.clear()
            idle_s = min(idle_s * 2, self._idle_max_s)


class OperationsAlerts:
    """Alerts for people: logged at error level and published on billing.operations.alerts."""

    def __init__(self, client: RedisClient, service: str) -> None:
        self._client = client
        self._service = service

    def publish(self, kind: str, summary: str, **details: Any) -> operations_pb2.OperationsAlert:
        alert = operations_pb2.OperationsAlert(
            alert_id=uuid.uuid4().hex, kind=kind, service=self._service, summary=summary, **details
        )
        alert.occur_time.GetCurrentTime()
        log.error(summary, extra={"alert": kind, **details})
        try:
            self._client.xadd(
                event_streams.OPERATIONS_ALERTS.name,
                {
                    "event": alert.SerializeToString(),
                    "type": alert.DESCRIPTOR.full_name,
                    "event_id": alert.alert_id,
                },
                maxlen=event_streams.UNREAD_STREAM_MAX_LENGTH,
                approximate=True,
            )
        except Exception:
            log.exception("operations alert not published", extra={"alert": kind})
        return alert


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    first_retry_ms: int = 5_000  # also how long a stopped consumer's entry waits to be taken
    max_retry_ms: int = 300_000

    def due(self, pending: Pending) -> bool:
        wait_ms = self.first_retry_ms * 2 ** min(max(pending.deliveries - 1, 0), 30)
        return pending.idle_ms >= min(wait_ms, self.max_retry_ms)

    def exhausted(self, pending: Pending) -> bool:
        return pending.deliveries >= self.max_attempts

    @classmethod
    def from_env(
        cls, env: Env, first_retry_variable: str = "", first_retry_ms: int = 5_000
    ) -> RetryPolicy:
        """STREAM_MAX_ATTEMPTS, STREAM_RETRY_FIRST_MS (or a service's own name for it) and
        STREAM_RETRY_MAX_MS."""
        first = env.integer("STREAM_RETRY_FIRST_MS", first_retry_ms, minimum=1, maximum=3_600_000)
        if first_retry_variable:
            first = env.integer(first_retry_variable, first, minimum=1, maximum=3_600_000)
        return cls(
            max_attempts=env.integer("STREAM_MAX_ATTEMPTS", 8, minimum=1, maximum=100),
            first_retry_ms=first,
            max_retry_ms=env.integer("STREAM_RETRY_MAX_MS", 300_000, minimum=1, maximum=86_400_000),
        )


class StreamConsumer:
    """Reads one stream in a consumer group and hands each batch to `handle`; acknowledges
    what was handled. A failing batch is handled again entry by entry, so one bad entry holds
    back nobody else; a failed entry stays pending and is retried by the policy (by this
    consumer or another: a stopped consumer's entries are taken over the same way). Once its
    attempts are spent, it moves to `<stream>.dead` and an operations alert is raised;
    `billing dead-letters replay` puts it back."""

    def __init__(
        self,
        reader: GroupReader,
        handle: BatchHandler,
        alerts: OperationsAlerts,
        batch: int = 100,
        policy: RetryPolicy | None = None,
        block_ms: int | None = None,
    ) -> None:
        self.reader = reader
        self._handle = handle
        self._alerts = alerts
        self._batch = batch
        self._policy = policy or RetryPolicy()
        self._block_ms = block_ms
        self._next_retry_scan = 0.0
        self._errors: dict[bytes, str] = {}

    @property
    def stream(self) -> str:
        return self.reader.stream

    @property
    def batch(self) -> int:
        return self._batch

    def step(self) -> int:
        """Handle retries that are due, then new entries; the number of entries handled."""
        entries = self._due_retries()
        if len(entries) < self._batch:
            block = None if entries else self._block_ms
            entries += self.reader.read(self._batch - len(entries), block)
        if entries:
            self._handle_all(entries)
        return len(entries)

    def drain(self, max_steps: int = 10_000) -> int:
        """Step until nothing new is waiting (bounded); for operators and tests."""
        total = 0
        for _ in range(max_steps):
            done = self.step()
            total += done
            if not done:
                break
        return total

    def _due_retries(self) -> list[Entry]:
        now = time.monotonic()
        if now < self._next_retry_scan:
            return []
        self._next_retry_scan = now + max(self._policy.first_retry_ms / 2000, 0.02)
        candidates = self.reader.pending(self._policy.first_retry_ms, self._batch)
        due = [item for item in candidates if self._policy.due(item)]
        for item in due:
            if self._policy.exhausted(item):
                self._dead_letter(item)
        retry = [item.entry_id for item in due if not self._policy.exhausted(item)]
        return self.reader.claim(retry, self._policy.first_retry_ms)

    def _handle_all(self, entries: list[Entry]) -> None:
        try:
            self._handle(entries)
        except Exception as error:
            if len(entries) == 1:
                self._failed(entries[0][0], error)
                return
            log.warning(
                "batch failed; handling its entries one by one",
                extra={"stream": self.stream, "entries": len(entries)},
            )
            for entry in entries:
                try:
                    self._handle([entry])
                except Exception as single:
                    self._failed(entry[0], single)
                    continue
                self._done([entry[0]])
            return
        self._done([entry_id for entry_id, _fields in entries])

    def _done(self, ids: Sequence[bytes]) -> None:
        self.reader.ack(ids)
        for entry_id in ids:
            self._errors.pop(entry_id, None)

    def _failed(self, entry_id: bytes, error: Exception) -> None:
        text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        self._errors[entry_id] = text
        if len(self._errors) > 10 * self._batch:
            self._errors.pop(next(iter(self._errors)))
        log.warning(
            "stream entry failed; it will be retried",
            exc_info=error,
            extra={"stream": self.stream, "entry": entry_id.decode(), "group": self.reader.group},
        )

    def _dead_letter(self, item: Pending) -> None:
        reader = self.reader
        fields: dict[Any, Any] = reader.entry(item.entry_id) or {}
        error = self._errors.pop(item.entry_id, "")
        dead = event_streams.dead_letter_stream(reader.stream)
        meta: dict[Any, Any] = {
            b"dead.stream": reader.stream.encode(),
            b"dead.group": reader.group.encode(),
            b"dead.id": item.entry_id,
            b"dead.attempts": str(item.deliveries).encode(),
            b"dead.error": error.encode(),
        }
        reader.client.xadd(dead, {**fields, **meta})
        reader.client.sadd(event_streams.DEAD_LETTER_INDEX, dead)
        reader.ack([item.entry_id])
        metrics.instruments().dead_letters.add(1, {"stream": reader.stream})
        self._alerts.publish(
            "dead_letter",
            f"{reader.stream}: entry {item.entry_id.decode()} set aside after "
            f"{item.deliveries} attempts",
            stream=reader.stream,
            group=reader.group,
            entry_id=item.entry_id.decode(),
            attempts=item.deliveries,
            error=error,
        )


def decoded_event(fields: dict[bytes, bytes], message_type: Any) -> Any:
    """The protobuf event an entry carries in its `event` field; ValueError when none."""
    payload = fields.get(b"event")
    if payload is None:
        raise ValueError("stream entry without an event")
    return message_type.FromString(payload)
