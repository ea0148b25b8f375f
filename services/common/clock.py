"""The clock as a port: what time it is comes from here, never from the wall clock inline, so a
test moves time by stepping a clock instead of sleeping."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Protocol

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MILLISECOND = dt.timedelta(milliseconds=1)


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...

    def monotonic_ms(self) -> int:
        """Milliseconds from an arbitrary start, never set back: for measuring how long."""
        ...


class SystemClock:
    """The wall clock: production's."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000


class SteppedClock:
    """A clock that stands still until a test steps it (forward only)."""

    def __init__(self, start_ms: int | None = None) -> None:
        self._now_ms = SystemClock().now_ms() if start_ms is None else start_ms
        self._elapsed_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    def monotonic_ms(self) -> int:
        with self._lock:
            return self._elapsed_ms

    def step(self, ms: int) -> int:
        """Move on by `ms` milliseconds; the new now."""
        if ms < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now_ms += ms
            self._elapsed_ms += ms
            return self._now_ms


class CalledClock:
    """A clock read from a function answering aware datetimes (what older callers pass)."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self._now = now

    def now_ms(self) -> int:
        return (self._now() - EPOCH) // MILLISECOND

    def monotonic_ms(self) -> int:
        return self.now_ms()  # the function told is the only time there is


def moment(clock: Clock) -> dt.datetime:
    """The clock's now as an aware UTC datetime, to the millisecond."""
    return EPOCH + clock.now_ms() * MILLISECOND
