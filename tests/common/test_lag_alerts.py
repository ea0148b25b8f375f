"""A reader group falling behind on a stream that carries money or state raises one operations
alert per crossing of its bound (entries or age), on real Redis, whichever replica looks first;
back under half the bound, it may be alerted on again. (tests/notifications/test_lag_alert_email.py:
the email it becomes.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from billing.common.v1 import operations_pb2

from services.common import event_streams
from services.common.background import OperationsAlerts, RetryPolicy
from services.common.clock import SteppedClock
from services.common.config import ConfigError, Env
from services.common.lag_alerts import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_ENTRIES,
    KIND,
    MARK_PREFIX,
    REPEAT_AFTER_MS,
    LagAlerts,
    LagBound,
    written_by,
)
from services.common.streams import ensure_groups

CHARGES = event_streams.METERING_CHARGES
BOUND = LagBound(max_entries=3, max_age_ms=60_000)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connected = redis.Redis.from_url(redis_url)
    yield connected
    connected.close()


def watching(client: redis.Redis, clock: SteppedClock) -> LagAlerts:
    alerts = OperationsAlerts(client, "metering", clock=clock)
    return LagAlerts(client, [CHARGES], alerts, BOUND, clock)


def charges(client: redis.Redis, count: int) -> list[bytes]:
    ensure_groups(client, CHARGES.name, CHARGES.groups)
    added: list[Any] = [client.xadd(CHARGES.name, {"event": b"charge"}) for _ in range(count)]
    return added


def read_and_ack(client: redis.Redis, count: int) -> None:
    found: Any = client.xreadgroup("wallet", "tests", {CHARGES.name: ">"}, count=count)
    ids = [entry_id for _stream, entries in found for entry_id, _fields in entries]
    client.xack(CHARGES.name, "wallet", *ids)


def raised(client: redis.Redis) -> list[operations_pb2.OperationsAlert]:
    entries: Any = client.xrange(event_streams.OPERATIONS_ALERTS.name)
    return [operations_pb2.OperationsAlert.FromString(fields[b"event"]) for _id, fields in entries]


def test_too_many_entries_behind_is_one_alert_per_crossing(client: redis.Redis) -> None:
    clock = SteppedClock()
    lag = watching(client, clock)
    ids = charges(client, 3)
    assert lag.step() == 0  # at the bound, not past it
    charges(client, 1)
    assert lag.step() == 1
    assert lag.step() == 0  # still behind: no alert per poll
    [alert] = raised(client)
    assert (alert.kind, alert.service) == (KIND, "metering")
    assert (alert.stream, alert.group, alert.entry_id) == (CHARGES.name, "wallet", ids[0].decode())
    assert "4 entries" in alert.summary
    read_and_ack(client, 2)
    assert lag.step() == 0  # 2 behind: under the bound, not yet under half of it
    charges(client, 2)
    assert lag.step() == 0  # past it again without having come back: the same crossing
    read_and_ack(client, 10)
    assert lag.step() == 0  # caught up: the crossing ends
    charges(client, 4)
    assert lag.step() == 1  # a new crossing, a new alert
    assert len(raised(client)) == 2


def test_an_entry_waiting_too_long_is_an_alert_once(client: redis.Redis) -> None:
    [added] = charges(client, 1)
    clock = SteppedClock(start_ms=int(added.split(b"-")[0]))  # the entry's millisecond
    lag = watching(client, clock)
    assert lag.step() == 0
    clock.step(61_000)
    assert lag.step() == 1
    clock.step(600_000)
    assert lag.step() == 0
    [alert] = raised(client)
    assert "1 entries and 61 s behind" in alert.summary


class FailingWrites:
    """A Redis client whose first `failures` stream writes fail, as during a failover."""

    def __init__(self, client: redis.Redis, failures: int) -> None:
        self._client = client
        self.failures = failures

    def xadd(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise redis.exceptions.ConnectionError("connection lost")
        return self._client.xadd(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_an_alert_that_failed_to_publish_is_published_at_the_next_check(
    client: redis.Redis,
) -> None:
    clock = SteppedClock()
    writes = FailingWrites(client, failures=1)
    alerts = OperationsAlerts(writes, "metering", clock=clock)  # type: ignore[arg-type]
    lag = LagAlerts(client, [CHARGES], alerts, BOUND, clock)
    charges(client, 4)
    assert lag.step() == 0  # not published: not counted, not marked
    assert lag.unpublished == 1
    assert raised(client) == []
    assert client.get(f"{MARK_PREFIX}{CHARGES.name}:wallet") is None
    assert lag.step() == 1
    [alert] = raised(client)
    assert (alert.kind, alert.stream, alert.group) == (KIND, CHARGES.name, "wallet")
    assert lag.step() == 0  # published once


def test_a_group_still_behind_is_alerted_on_again_after_the_repeat_interval(
    client: redis.Redis,
) -> None:
    clock = SteppedClock()
    lag = watching(client, clock)
    charges(client, 4)
    assert lag.step() == 1
    mark = f"{MARK_PREFIX}{CHARGES.name}:wallet"
    ttl_ms: Any = client.pttl(mark)
    assert 0 < ttl_ms <= REPEAT_AFTER_MS
    client.pexpire(mark, 1)  # the repeat interval has passed: Redis drops the mark
    for _ in range(100):
        if not client.exists(mark):
            break
        time.sleep(0.01)
    assert lag.step() == 1
    assert len(raised(client)) == 2


def test_replicas_watching_one_stream_raise_one_alert(client: redis.Redis) -> None:
    clock = SteppedClock()
    replicas = [watching(client, clock), watching(client, clock)]
    charges(client, 4)
    assert sum(replica.step() for replica in replicas) == 1
    assert len(raised(client)) == 1


def test_each_writer_watches_its_streams_that_never_expire() -> None:
    assert written_by("metering") == [
        event_streams.METERING_CHARGES,
        event_streams.METERING_WINDOWS,
    ]
    assert written_by("wallet") == [event_streams.WALLET_ACCOUNTS, event_streams.WALLET_RECHARGES]
    assert written_by("invoicing") == [event_streams.INVOICING_EVENTS]
    default = LagBound.from_env(Env({}))
    assert (default.max_entries, default.max_age_ms) == (
        DEFAULT_MAX_ENTRIES,
        DEFAULT_MAX_AGE_S * 1000,
    )
    chosen = Env({"STREAM_LAG_ALERT_ENTRIES": "500", "STREAM_LAG_ALERT_SECONDS": "1000"})
    assert LagBound.from_env(chosen) == LagBound(max_entries=500, max_age_ms=1_000_000)


def test_the_age_bound_outlasts_the_readers_retries() -> None:
    # 5 s doubling up to 300 s, 8 deliveries: 5+10+20+40+80+160+300, and 300 more to set aside.
    assert RetryPolicy().span_ms() == 915_000
    wallet_readers = RetryPolicy(first_retry_ms=10_000)  # WALLET_CLAIM_IDLE_MS's default
    assert max(RetryPolicy().span_ms(), wallet_readers.span_ms()) < DEFAULT_MAX_AGE_S * 1000
    with pytest.raises(ConfigError, match="STREAM_LAG_ALERT_SECONDS"):
        LagBound.from_env(Env({"STREAM_LAG_ALERT_SECONDS": "300"}))
    with pytest.raises(ConfigError, match="STREAM_LAG_ALERT_SECONDS"):
        LagBound.from_env(Env({"STREAM_LAG_ALERT_SECONDS": "1000"}), wallet_readers)
    fewer = Env({"STREAM_LAG_ALERT_SECONDS": "90", "STREAM_MAX_ATTEMPTS": "3"})  # 5+10+20 s
    assert LagBound.from_env(fewer).max_age_ms == 90_000
