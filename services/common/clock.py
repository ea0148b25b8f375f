"""The clock as a port: what time it is comes from here, never from the wall clock inline, so a
test moves time by stepping a clock instead of sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The wall clock: production's."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class SteppedClock:
    """A clock that stands still until a test steps it (forward only)."""

    def __init__(self, start_ms: int | None = None) -> None:
        self._now_ms = SystemClock().now_ms() if start_ms is None else start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    def step(self, ms: int) -> int:
        """Move on by `ms` milliseconds; the new now."""
        if ms < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now_ms += ms
            return self._now_ms


class MonotonicClock:
    """Milliseconds that only move forward, for ages and timeouts within one process (not an
    instant: its zero is arbitrary)."""

    def now_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000
