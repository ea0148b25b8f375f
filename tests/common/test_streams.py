"""The shared consumer-group reader, on a real redis-server."""

from __future__ import annotations

import time

import pytest
import redis

from services.common.streams import GroupReader
from services.metering.adapters.streams import StreamConsumer

STREAM = "test.events"


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def test_a_stopped_consumers_entries_are_taken_over(client: redis.Redis) -> None:
    client.xadd(STREAM, {"event": b"one"})
    stopped = GroupReader(client, STREAM, "group", "stopped", claim_idle_ms=50)
    assert [fields[b"event"] for _, fields in stopped.read(10)] == [b"one"]
    survivor = GroupReader(client, STREAM, "group", "survivor", claim_idle_ms=50)
    assert survivor.read(10) == []  # not idle long enough yet
    time.sleep(0.12)
    taken = survivor.read(10)
    assert [fields[b"event"] for _, fields in taken] == [b"one"]
    survivor.ack([entry_id for entry_id, _ in taken])
    time.sleep(0.12)
    assert survivor.read(10) == []


def test_metering_retries_an_entry_its_handler_failed_on(client: redis.Redis) -> None:
    client.xadd(STREAM, {"event": b"one"})
    seen: list[str] = []

    def handler(entry_id: str, _fields: object) -> None:
        seen.append(entry_id)
        if len(seen) == 1:
            raise RuntimeError("first delivery fails")

    consumer = StreamConsumer(client, STREAM, "metering", "m-1", handler, claim_idle_ms=50)
    with pytest.raises(RuntimeError):
        consumer.pass_once(block_ms=None)
    assert consumer.drain() == 0  # pending, not idle long enough to retry
    time.sleep(0.12)
    assert consumer.drain() == 1
    assert len(seen) == 2 and seen[0] == seen[1]
    assert client.xpending(STREAM, "metering")["pending"] == 0
