"""Metering's hot state in Redis: live free windows, a mirror of what SQL records. Which
windows are live is decided by metering's clock; Redis's TTL only removes them afterwards.

Keys carry the account's hash tag so they live in one slot on a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.common.clock import Clock
from services.common.redis_client import RedisClient
from services.metering.domain.windows import Window

KEY_PREFIX = "metering"

# Keep the later window: ARGV open_us, expire_us, and the ms it has left by metering's clock.
# The stored expire_us is the window's end; Redis's TTL only collects the key once it is past.
_KEEP_LATER_WINDOW = """
local current = redis.call('HGET', KEYS[1], 'expire_us')
if current and tonumber(current) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'open_us', ARGV[1], 'expire_us', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


def window_key(account_id: str, channel_id: str, contact: str, kind: str) -> str:
    return f"{KEY_PREFIX}:window:{{{account_id}}}:{channel_id}:{contact}:{kind}"


class HotState:
    def __init__(self, redis: RedisClient, clock: Clock) -> None:
        self._redis = redis
        self._clock = clock

    def remember_windows(self, windows: Iterable[Window]) -> None:
        """Mirror windows still open now, keeping the later one per key: one round trip."""
        now_us = self._clock.now_ms() * 1_000
        pipeline = self._redis.pipeline(transaction=False)
        queued = False
        for window in windows:
            if window.expire_us <= now_us:
                continue
            key = window_key(window.account_id, window.channel_id, window.contact, window.kind)
            if window.category:
                key = f"{key}:{window.category}"
            left_ms = -(-(window.expire_us - now_us) // 1_000)  # rounded up: never early
            args = (window.open_us, window.expire_us, left_ms)
            pipeline.execute_command("EVAL", _KEEP_LATER_WINDOW, 1, key, *args)
            queued = True
        if queued:
            pipeline.execute()
