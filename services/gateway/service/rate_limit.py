"""A request-rate limit per credential: a token bucket each, in this gateway process.

Each credential may make `burst` requests at once and `rate_per_s` a second after that; over
it, the answer is 429 with Retry-After. Buckets live in memory (at most MAX_BUCKETS, the
least recently used go first), so N gateway replicas allow up to N times the rate in all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from services.common.clock import Clock, SystemClock

MAX_BUCKETS = 100_000


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, clock: Clock | None = None) -> None:
        self._rate_per_s = rate_per_s
        self._burst = float(burst)
        self._clock = clock or SystemClock()
        # key -> (tokens, when they were counted, in the clock's monotonic ms)
        self._buckets: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._rate_per_s > 0

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if not self.enabled:
            return 0.0
        now_ms = self._clock.monotonic_ms()
        with self._lock:
            tokens, counted_ms = self._buckets.pop(key, (self._burst, now_ms))
            # Elapsed time only: setting the wall clock refills nothing, takes nothing away.
            elapsed_ms = max(0, now_ms - counted_ms)
            tokens = min(self._burst, tokens + elapsed_ms * self._rate_per_s / 1000)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now_ms)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now_ms)
                wait = (1 - tokens) / self._rate_per_s
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait
