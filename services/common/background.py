"""Background work, written once: a loop with bounded backoff, and a stream consumer whose
failures are retried a bounded number of times, then set aside with an alert (the outbox
relay is in services.common.outbox).

Bounds, named: a step handles at most `batch` entries; an entry is delivered at most
`RetryPolicy.max_attempts` times, each retry waiting twice as long as the one before (from
`first_retry_ms` up to `max_retry_ms`); a failing loop waits at most `MAX_BACKOFF_S` (or its
idle bound, if longer), shortened by up to `JITTER_SHARE` at random; a consumer's blocking read
waits at most `streams.MAX_BLOCK_MS`, and stopping workers waits a bounded time, then leaves
behind the ones still stepping, by name (`stop_workers`). Time comes from an injected clock
and waits from an injected sleep, so tests step time instead of sleeping.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from billing.common.v1 import operations_pb2

from services.common import event_streams, metrics
from services.common.clock import Clock, SystemClock
from services.common.config import Env
from services.common.redis_client import RedisClient
from services.common.streams import (
    Entry,
    GroupReader,
    Pending,
    Retention,
    check_block_ms,
    ensure_groups,
    trim_acknowledged,
    trim_expired,
)

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 5.0  # a failing loop waits at most this long (or its idle bound, if longer)
MIN_BACKOFF_S = 0.1  # ... and at least this long
MIN_IDLE_WAIT_S = 0.001  # an idle loop never spins: it waits at least this long
JITTER_SHARE = 0.2  # a wait is shortened by up to this share, at random; never lengthened
MAX_ERROR_CHARS = 300
STOP_TIMEOUT_S = 30.0  # Loop.stop's longest wait for its thread, when stopped on its own
STOP_REPORT_S = 2.0  # while workers are waited for, the ones still running are logged this often
Step = Callable[[], int]
BatchHandler = Callable[[list[Entry]], object]
# Waits on the event for up to the seconds given; whether the event was set. Production's is
# threading.Event.wait; a test's steps a clock and returns at once.
Sleep = Callable[[threading.Event, float], bool]


def _sleep(event: threading.Event, seconds: float) -> bool:
    return event.wait(seconds)


_running = threading.local()  # .stop: the stop event of the Loop running this thread


def stop_requested() -> bool:
    """Whether the Loop running this thread has been asked to stop (False outside a Loop): a
    long step checks it between items and leaves the rest for later."""
    stop: threading.Event | None = getattr(_running, "stop", None)
    return stop is not None and stop.is_set()


class Backoff:
    """How long a loop waits before its next step. Work: no wait. Idle: `interval_s`, doubled
    after each idle step up to `idle_max_s`. Failing: twice the last failure's wait (the first
    is twice the interval), from MIN_BACKOFF_S up to the larger of MAX_BACKOFF_S and
    `idle_max_s`. Every wait is shortened by up to JITTER_SHARE, so loops that failed together
    do not retry together."""

    def __init__(
        self,
        interval_s: float,
        idle_max_s: float | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        interval_s = max(interval_s, MIN_IDLE_WAIT_S)
        self.interval_s = interval_s
        self.idle_max_s = max(interval_s, idle_max_s if idle_max_s is not None else interval_s)
        self.failure_max_s = max(MAX_BACKOFF_S, self.idle_max_s)
        self._jitter = jitter
        self._idle_s = interval_s
        self._failing_s = 0.0

    @property
    def failing(self) -> bool:
        return self._failing_s > 0

    def after_work(self) -> float:
        self._idle_s = self.interval_s
        self._failing_s = 0.0
        return 0.0

    def after_idle(self) -> float:
        wait_s = self._idle_s
        self._idle_s = min(wait_s * 2, self.idle_max_s)
        self._failing_s = 0.0
        return self._jittered(wait_s)

    def after_failure(self) -> float:
        doubled = (self._failing_s or self.interval_s) * 2
        self._failing_s = min(max(doubled, MIN_BACKOFF_S), self.failure_max_s)
        return self._jittered(self._failing_s)

    def _jittered(self, wait_s: float) -> float:
        share = min(max(self._jitter(), 0.0), 1.0)
        return wait_s * (1 - JITTER_SHARE * share)


class Loop:
    """A daemon thread stepping until stopped, waiting between steps as its Backoff says. A
    step returns how much work it found (0: none). `wake()` ends an idle wait early;
    `stop()` ends any wait. `last_step`: once asked to stop, it takes one more step (an outbox
    relay publishes what the last calls committed); a server asks such a loop to stop only
    after its calls have drained."""

    def __init__(
        self,
        name: str,
        step: Step,
        interval_s: float,
        idle_max_s: float | None = None,
        sleep: Sleep = _sleep,
        jitter: Callable[[], float] = random.random,
        clock: Clock | None = None,
        last_step: bool = False,
    ) -> None:
        self.name = name
        self.step = step
        self.last_step = last_step
        self._clock = clock or SystemClock()
        self._step_started_ms: int | None = None
        self.backoff = Backoff(interval_s, idle_max_s, jitter)
        self._sleep = sleep
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Stop and wait for the thread, at most timeout_s; whether it stopped."""
        return not stop_workers([self], timeout_s)

    def request_stop(self) -> None:
        """End any wait and take no further step; the step under way finishes."""
        self._stop.set()
        self._wake.set()

    def join(self, timeout_s: float) -> bool:
        """Wait up to timeout_s for the thread to end; whether it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout=max(timeout_s, 0.0))
            if thread.is_alive():
                return False
            self._thread = None
        return True

    @property
    def stepping_for_ms(self) -> int:
        """How long the step under way has run (0: none)."""
        started_ms = self._step_started_ms
        return self._clock.monotonic_ms() - started_ms if started_ms is not None else 0

    def wake(self) -> None:
        """Step now instead of finishing an idle wait."""
        self._wake.set()

    def run_once(self) -> float:
        """One step; the seconds to wait before the next (without waiting)."""
        self._step_started_ms = self._clock.monotonic_ms()
        try:
            done = self.step()
        except Exception:
            log.exception("background step failed", extra={"worker": self.name})
            return self.backoff.after_failure()
        finally:
            self._step_started_ms = None
        return self.backoff.after_work() if done else self.backoff.after_idle()

    def _run(self) -> None:
        _running.stop = self._stop
        while not self._stop.is_set():
            wait_s = self.run_once()
            if wait_s > 0:
                # wake() cuts an idle wait short, never a failure's backoff.
                self._sleep(self._stop if self.backoff.failing else self._wake, wait_s)
                self._wake.clear()
        if self.last_step:
            self.run_once()


class Stoppable(Protocol):
    """A worker as shutdown sees it (Loop is one)."""

    name: str
    last_step: bool  # asked to stop once calls have drained, it takes one more step

    def request_stop(self) -> None: ...

    def join(self, timeout_s: float) -> bool: ...

    @property
    def stepping_for_ms(self) -> int: ...


def stop_workers(
    workers: Sequence[Stoppable], timeout_s: float, clock: Clock | None = None
) -> list[str]:
    """Ask every worker to stop, then wait for them (wait_for_workers)."""
    for worker in workers:
        worker.request_stop()
    return wait_for_workers(workers, timeout_s, clock)


def wait_for_workers(
    workers: Sequence[Stoppable], timeout_s: float, clock: Clock | None = None
) -> list[str]:
    """Wait for workers already asked to stop, together, at most timeout_s. Which ones are
    still running is logged every STOP_REPORT_S; each one still running at the end is logged as
    an error and left behind (its thread is a daemon's). The names of those left behind."""
    clock = clock or SystemClock()
    deadline_ms = clock.monotonic_ms() + round(timeout_s * 1000)
    report_ms = clock.monotonic_ms() + round(STOP_REPORT_S * 1000)
    running = list(workers)
    while running:
        now_ms = clock.monotonic_ms()
        if now_ms >= deadline_ms:
            break
        running[0].join((min(deadline_ms, report_ms) - now_ms) / 1000)
        running = [worker for worker in running if not worker.join(0)]
        if running and clock.monotonic_ms() >= report_ms:
            report_ms += round(STOP_REPORT_S * 1000)
            for worker in running:
                log.info(
                    "waiting for a worker to stop",
                    extra={"worker": worker.name, "stepping_for_ms": worker.stepping_for_ms},
                )
    for worker in running:
        log.error(
            "worker did not stop in time; leaving it behind",
            extra={
                "worker": worker.name,
                "stepping_for_ms": worker.stepping_for_ms,
                "timeout_s": timeout_s,
            },
        )
    return [worker.name for worker in running]


class OperationsAlerts:
    """Alerts for people: logged at error level and published on billing.operations.alerts.
    The first publish creates the stream's declared groups, so an alert waits for its readers;
    each publish trims what they acknowledged and what is older than the retention."""

    def __init__(
        self,
        client: RedisClient,
        service: str,
        retention: Retention | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._client = client
        self._service = service
        self._retention = retention or Retention()
        self._clock = clock or SystemClock()
        self._grouped = False

    def publish(self, kind: str, summary: str, **details: Any) -> operations_pb2.OperationsAlert:
        """Log and publish the alert; a failed Redis write is logged, not raised."""
        try:
            return self.publish_or_raise(kind, summary, **details)
        except Exception:
            log.exception("operations alert not published", extra={"alert": kind})
            return self._alert(kind, summary, details)

    def publish_or_raise(
        self, kind: str, summary: str, **details: Any
    ) -> operations_pb2.OperationsAlert:
        """Log and publish the alert; raises when it was not written (nothing else is lost:
        the caller may publish it again)."""
        alert = self._alert(kind, summary, details)
        log.error(summary, extra={"alert": kind, **details})
        stream = event_streams.OPERATIONS_ALERTS
        if not self._grouped:
            ensure_groups(self._client, stream.name, stream.groups)
            self._grouped = True
        self._client.xadd(
            stream.name,
            {
                "event": alert.SerializeToString(),
                "type": alert.DESCRIPTOR.full_name,
                "event_id": alert.alert_id,
            },
        )
        try:
            upto = trim_acknowledged(self._client, stream.name, stream.groups)
            trim_expired(
                self._client, stream.name, upto, self._retention.bound(self._clock.now_ms())
            )
        except Exception:  # written; trimming waits for the next alert
            log.exception("operations alerts not trimmed", extra={"alert": kind})
        return alert

    def _alert(
        self, kind: str, summary: str, details: dict[str, Any]
    ) -> operations_pb2.OperationsAlert:
        alert = operations_pb2.OperationsAlert(
            alert_id=uuid.uuid4().hex, kind=kind, service=self._service, summary=summary, **details
        )
        alert.occur_time.GetCurrentTime()
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

    def span_ms(self) -> int:
        """From an entry's first delivery until it is set aside, when every attempt fails: the
        waits before each retry and the last wait before it is found exhausted."""
        return sum(
            min(self.first_retry_ms * 2 ** min(deliveries - 1, 30), self.max_retry_ms)
            for deliveries in range(1, self.max_attempts + 1)
        )

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
    `billing dead-letters replay` puts it back. `per_entry`: each entry is handed on alone
    and acknowledged once handled (a handler with a slow outside call per entry, such as a
    card charge). Entry by entry, a consumer whose loop is asked to stop handles no further
    entry: those left stay pending and are taken over once due, like a stopped consumer's."""

    def __init__(
        self,
        reader: GroupReader,
        handle: BatchHandler,
        alerts: OperationsAlerts,
        batch: int = 100,
        policy: RetryPolicy | None = None,
        block_ms: int | None = None,
        clock: Clock | None = None,
        per_entry: bool = False,
    ) -> None:
        self.reader = reader
        self._handle = handle
        self._per_entry = per_entry
        self._alerts = alerts
        self._batch = batch
        self._policy = policy or RetryPolicy()
        check_block_ms(block_ms)  # refused now rather than at the first read
        self._block_ms = block_ms
        self._clock = clock or SystemClock()
        self._next_retry_scan_ms = 0
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
        now_ms = self._clock.now_ms()
        if now_ms < self._next_retry_scan_ms:
            return []
        self._next_retry_scan_ms = now_ms + max(self._policy.first_retry_ms // 2, 20)
        candidates = self.reader.pending(self._policy.first_retry_ms, self._batch)
        due = [item for item in candidates if self._policy.due(item)]
        for item in due:
            if self._policy.exhausted(item):
                self._dead_letter(item)
        retry = [item.entry_id for item in due if not self._policy.exhausted(item)]
        return self.reader.claim(retry, self._policy.first_retry_ms)

    def _handle_all(self, entries: list[Entry]) -> None:
        if self._per_entry and len(entries) > 1:
            self._one_by_one(entries)
            return
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
            self._one_by_one(entries)
            return
        self._done([entry_id for entry_id, _fields in entries])

    def _one_by_one(self, entries: list[Entry]) -> None:
        for handled, entry in enumerate(entries):
            if stop_requested():
                log.info(
                    "asked to stop; entries left pending",
                    extra={"stream": self.stream, "entries": len(entries) - handled},
                )
                return
            try:
                self._handle([entry])
            except Exception as single:
                self._failed(entry[0], single)
                continue
            self._done([entry[0]])

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
