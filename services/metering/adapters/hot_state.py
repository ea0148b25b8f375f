"""Metering's hot state in Redis: volume-tier counters and live free windows (with TTLs).

Keys carry a hash tag ({portfolio} or {account}) so they live in one slot on a cluster.
SQL stays the record: a counter missing from Redis is seeded from the charged messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from services.common.redis_client import RedisClient
from services.metering.domain.windows import Window

COUNTER_TTL_S = 70 * 24 * 3_600  # a month's counter outlives its month
KEY_PREFIX = "metering"

# Keep the later window: ARGV open_us, expire_us, expire_ms (absolute).
_KEEP_LATER_WINDOW = """
local current = redis.call('HGET', KEYS[1], 'expire_us')
if current and tonumber(current) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'open_us', ARGV[1], 'expire_us', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
"""


def tier_key(portfolio_id: str, market: str, category: str, month: str) -> str:
    return f"{KEY_PREFIX}:tier:{{{portfolio_id}}}:{market}:{category}:{month}"


def plan_key(account_id: str, month: str) -> str:
    return f"{KEY_PREFIX}:plan:{{{account_id}}}:{month}"


def window_key(account_id: str, channel_id: str, contact: str, kind: str) -> str:
    return f"{KEY_PREFIX}:window:{{{account_id}}}:{channel_id}:{contact}:{kind}"


class HotState:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._keep_later = redis.register_script(_KEEP_LATER_WINDOW)

    def allocate(self, counts: Mapping[str, int], seed: Callable[[str], int]) -> dict[str, int]:
        """Add `counts[key]` to each counter; return where each allocation starts (0-based).

        A counter Redis does not hold is first set from `seed(key)` (the durable count).
        """
        keys = sorted(counts)
        if not keys:
            return {}
        exists = self._pipeline_results(("EXISTS", key) for key in keys)
        missing = [key for key, found in zip(keys, exists, strict=True) if not found]
        if missing:
            self._pipeline_results(
                ("SET", key, seed(key), "NX", "EX", COUNTER_TTL_S) for key in missing
            )
        totals = self._pipeline_results(("INCRBY", key, counts[key]) for key in keys)
        return {key: int(str(total)) - counts[key] for key, total in zip(keys, totals, strict=True)}

    def give_back(self, counts: Mapping[str, int]) -> None:
        """Undo allocations of a transaction that did not commit."""
        if counts:
            self._pipeline_results(("DECRBY", key, n) for key, n in sorted(counts.items()))

    def forget_counter(self, key: str) -> None:
        self._redis.delete(key)

    def remember_windows(self, windows: Iterable[Window]) -> None:
        """Mirror windows still open now, keeping the later one per key."""
        now_us = int(time.time() * 1_000_000)
        for window in windows:
            if window.expire_us <= now_us:
                continue
            key = window_key(window.account_id, window.channel_id, window.contact, window.kind)
            if window.category:
                key = f"{key}:{window.category}"
            self._keep_later(
                keys=[key], args=[window.open_us, window.expire_us, window.expire_us // 1_000]
            )

    def live_window(
        self, account_id: str, channel_id: str, contact: str, kind: str
    ) -> tuple[int, int] | None:
        """(open_us, expire_us) of the latest live window of this kind, if any."""
        found = self._redis.hmget(
            window_key(account_id, channel_id, contact, kind), ["open_us", "expire_us"]
        )
        if not found or found[0] is None or found[1] is None:
            return None
        return int(found[0]), int(found[1])

    def _pipeline_results(self, commands: Iterable[tuple[object, ...]]) -> list[object]:
        pipeline = self._redis.pipeline(transaction=False)
        for command in commands:
            pipeline.execute_command(*command)
        return list(pipeline.execute())
