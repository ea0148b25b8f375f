"""What the wallet tells its gauges (services/common/metrics.py) at each metrics export."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from services.common import metrics
from services.common.outbox import OutboxRelay
from services.common.redis_client import RedisClient
from services.wallet.service import settings as names

FRESH_S = 1.0  # one reading serves the gauges observed in the same export


def register(
    outbox: OutboxRelay,
    redis: RedisClient,
    metering_events: RedisClient,
    partitions: list[Any],
) -> None:
    gauges = metrics.instruments()
    gauges.open_reservations.add(
        lambda: [
            (float(redis.zcard(keys.expiry)), {"partition": str(number)})
            for number, keys in enumerate(partitions)
        ]
    )
    metrics.observe_outbox(outbox, "wallet")

    def ledger() -> tuple[int, float]:
        readings = [
            metrics.stream_backlog(redis, k.ledger, names.PROJECTOR_GROUP) for k in partitions
        ]
        return sum(r[0] for r in readings), max((r[1] for r in readings), default=0.0)

    ledger_now = _fresh(ledger)
    gauges.projector_lag.add(lambda: [(ledger_now()[1], {})])
    streams: dict[tuple[str, str], Callable[[], tuple[int, float]]] = {
        ("wallet ledger", names.PROJECTOR_GROUP): ledger_now,
    }
    for stream in (names.CHARGES_STREAM, names.WINDOWS_STREAM):
        streams[(stream, names.CONSUMER_GROUP)] = _fresh(
            lambda stream=stream: metrics.stream_backlog(
                metering_events, stream, names.CONSUMER_GROUP
            )  # type: ignore[misc]
        )
    charges = streams[(names.CHARGES_STREAM, names.CONSUMER_GROUP)]
    gauges.settlement_lag.add(lambda: [(charges()[1], {})])
    gauges.stream_consumer_lag.add(
        lambda: [(float(read()[0]), {"stream": s, "group": g}) for (s, g), read in streams.items()]
    )
    gauges.stream_consumer_age.add(
        lambda: [(read()[1], {"stream": s, "group": g}) for (s, g), read in streams.items()]
    )


def _backlog(client: RedisClient, stream: str) -> Callable[[], tuple[int, float]]:
    return lambda: metrics.stream_backlog(client, stream, names.CONSUMER_GROUP)


def _fresh(read: Callable[[], tuple[int, float]]) -> Callable[[], tuple[int, float]]:
    """The last reading while it is younger than FRESH_S, else a new one."""
    last: list[Any] = [0.0, None]

    def fresh() -> tuple[int, float]:
        now = time.monotonic()
        if last[1] is None or now - last[0] > FRESH_S:
            last[:] = [now, read()]
        value: tuple[int, float] = last[1]
        return value

    return fresh
