"""Stream consumers on a real redis-server: take-over, bounded retries, dead letters, and
consumer groups that vanished with Redis's data."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from billing.common.v1 import operations_pb2

from services.common import dead_letters, event_streams
from services.common.background import Loop, OperationsAlerts, RetryPolicy, StreamConsumer
from services.common.streams import Entry, GroupReader, trim_acknowledged

STREAM = "test.events"
FAST = RetryPolicy(max_attempts=3, first_retry_ms=40, max_retry_ms=80)


@pytest.fixture
def client(redis_url: str) -> Any:
    return redis.Redis.from_url(redis_url)


def consumer(
    client: Any, name: str, handle: Any, group: str = "group", policy: RetryPolicy = FAST
) -> StreamConsumer:
    reader = GroupReader(client, STREAM, group, name)
    return StreamConsumer(reader, handle, OperationsAlerts(client, "tests"), 10, policy)


def events(entries: list[Entry]) -> list[bytes]:
    return [fields[b"event"] for _id, fields in entries]


def settle(step: Any, until: Any, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        step()
        time.sleep(0.01)
    assert until()


def test_a_stopped_consumers_entries_are_taken_over(client: Any) -> None:
    client.xadd(STREAM, {"event": b"one"})
    stopped = GroupReader(client, STREAM, "group", "stopped")
    assert events(stopped.read(10)) == [b"one"]  # read, then the process died
    seen: list[bytes] = []
    # Idle bound well above a loaded machine's pause between two lines.
    patient = RetryPolicy(max_attempts=3, first_retry_ms=1_000, max_retry_ms=1_000)
    survivor = consumer(
        client, "survivor", lambda batch: seen.extend(events(batch)), policy=patient
    )
    assert survivor.step() == 0  # not idle long enough yet
    settle(survivor.step, lambda: seen == [b"one"], timeout_s=5.0)
    assert client.xpending(STREAM, "group")["pending"] == 0


def test_a_failed_entry_is_retried_and_holds_back_no_other(client: Any) -> None:
    for name in (b"one", b"two", b"three"):
        client.xadd(STREAM, {"event": name})
    seen: list[bytes] = []

    def handle(batch: list[Entry]) -> None:
        if len(batch) > 1 or (events(batch) == [b"two"] and seen.count(b"two!") == 0):
            if events(batch) == [b"two"]:
                seen.append(b"two!")
            raise RuntimeError("two fails once")
        seen.extend(events(batch))

    reader = consumer(client, "c-1", handle)
    reader.step()
    assert seen == [b"one", b"two!", b"three"]  # the batch failed; one and three went on
    settle(reader.step, lambda: b"two" in seen)
    assert client.xpending(STREAM, "group")["pending"] == 0


def test_an_entry_that_keeps_failing_becomes_a_dead_letter_with_an_alert(
    client: Any,
) -> None:
    entry_id = client.xadd(STREAM, {"event": b"poison", "event_id": b"e-1"})
    attempts: list[int] = []

    def handle(batch: list[Entry]) -> None:
        attempts.append(1)
        raise ValueError("cannot be applied")

    poisoned = consumer(client, "c-1", handle)
    poisoned.step()
    settle(poisoned.step, lambda: client.xpending(STREAM, "group")["pending"] == 0)
    assert len(attempts) == FAST.max_attempts
    [letter] = dead_letters.listed(client, STREAM)
    assert letter.stream == STREAM and letter.entry_id == entry_id.decode()
    assert letter.attempts == FAST.max_attempts
    assert "ValueError: cannot be applied" in letter.error
    assert letter.fields == {b"event": b"poison", b"event_id": b"e-1"}
    [(_id, alert_fields)] = client.xrange(event_streams.OPERATIONS_ALERTS.name)
    alert = operations_pb2.OperationsAlert.FromString(alert_fields[b"event"])
    assert alert.kind == "dead_letter" and alert.stream == STREAM and alert.service == "tests"

    # Replayed once the cause is mended, it is read again as a new entry.
    seen: list[bytes] = []
    mended = consumer(client, "c-2", lambda batch: seen.extend(events(batch)))
    dead_letters.replay(client, letter)
    settle(mended.step, lambda: seen == [b"poison"])
    assert dead_letters.listed(client, STREAM) == []


def test_a_group_lost_with_redis_is_made_again_and_reads_what_is_written_anew(
    client: Any,
) -> None:
    seen: list[bytes] = []
    reader = consumer(client, "c-1", lambda batch: seen.extend(events(batch)))
    client.xadd(STREAM, {"event": b"before"})
    reader.step()
    client.flushall()  # Redis lost its data: the stream and the group are gone
    client.xadd(STREAM, {"event": b"after"})
    settle(reader.step, lambda: seen == [b"before", b"after"])


def test_only_what_every_group_acknowledged_is_trimmed(client: Any) -> None:
    ids = [client.xadd(STREAM, {"event": str(n).encode()}) for n in range(4)]
    fast, slow = GroupReader(client, STREAM, "fast", "f"), GroupReader(client, STREAM, "slow", "s")
    fast.ack([entry_id for entry_id, _ in fast.read(10)])
    slow.ack([entry_id for entry_id, _ in slow.read(2)])
    assert trim_acknowledged(client, STREAM, ["fast", "slow"]) is not None
    assert [entry_id for entry_id, _ in client.xrange(STREAM)] == ids[2:]
    assert trim_acknowledged(client, STREAM, ["fast", "slow", "absent"]) is None
    assert client.xlen(STREAM) == 2


def test_operations_alerts_are_trimmed_only_once_their_readers_acknowledged_them(
    client: Any,
) -> None:
    stream = event_streams.OPERATIONS_ALERTS
    alerts = OperationsAlerts(client, "tests")
    alerts.publish("first", "one")
    alerts.publish("second", "two")
    assert client.xlen(stream.name) == 2  # the writer made the group: nothing read, nothing goes
    [reader] = [GroupReader(client, stream.name, group, "n-1") for group in stream.groups]
    read = reader.read(10)
    reader.ack([read[0][0]])
    alerts.publish("third", "three")
    kinds = [
        operations_pb2.OperationsAlert.FromString(fields[b"event"]).kind
        for _, fields in client.xrange(stream.name)
    ]
    assert kinds == ["second", "third"]


def test_a_consumer_asked_to_stop_mid_batch_leaves_the_rest_pending_for_another(
    client: Any,
) -> None:
    for name in (b"one", b"two", b"three"):
        client.xadd(STREAM, {"event": name})
    charged: list[bytes] = []
    loop: list[Loop] = []

    def charge(batch: list[Entry]) -> None:
        charged.extend(events(batch))
        loop[0].request_stop()  # SIGTERM arrives during the first charge

    reader = GroupReader(client, STREAM, "group", "stopping")
    alerts = OperationsAlerts(client, "tests")
    stopping = StreamConsumer(reader, charge, alerts, 10, FAST, per_entry=True)
    loop.append(Loop("recharge-requests", stopping.step, interval_s=60.0))
    loop[0].start()
    assert loop[0].join(5)
    assert charged == [b"one"]  # no further charge once asked to stop
    assert client.xpending(STREAM, "group")["pending"] == 2  # read, not acknowledged
    seen: list[bytes] = []
    survivor = consumer(client, "survivor", lambda batch: seen.extend(events(batch)))
    settle(survivor.step, lambda: seen == [b"two", b"three"])
    assert client.xpending(STREAM, "group")["pending"] == 0
