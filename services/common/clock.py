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
MICROSECOND = dt.timedelta(microseconds=1)
NS_PER_MS = 1_000_000


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...

    def now_ns(self) -> int:
        """Nanoseconds since the Unix epoch, as finely as the clock reads (the same instant as
        now_ms): to order events finer than a millisecond."""
        ...

    def monotonic_ms(self) -> int:
        """Milliseconds from an arbitrary start, never set back: for measuring how long."""
        ...


class SystemClock:
    """The wall clock: production's."""

    def now_ms(self) -> int:
        return time.time_ns() // NS_PER_MS

    def now_ns(self) -> int:
        return time.time_ns()

    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000


class SteppedClock:
    """A clock that stands still until a test steps it (forward only), read to the nanosecond."""

    def __init__(self, start_ms: int | None = None, start_ns: int | None = None) -> None:
        if start_ns is None:
            start_ns = (SystemClock().now_ms() if start_ms is None else start_ms) * NS_PER_MS
        elif start_ms is not None:
            raise ValueError("start at a millisecond or at a nanosecond, not both")
        self._now_ns = start_ns
        self._elapsed_ns = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self.now_ns() // NS_PER_MS

    def now_ns(self) -> int:
        with self._lock:
            return self._now_ns

    def monotonic_ms(self) -> int:
        with self._lock:
            return self._elapsed_ns // NS_PER_MS

    def step(self, ms: int) -> int:
        """Move on by `ms` milliseconds; the new now (ms)."""
        return self.step_ns(ms * NS_PER_MS) // NS_PER_MS

    def step_ns(self, ns: int) -> int:
        """Move on by `ns` nanoseconds; the new now (ns)."""
        if ns < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now_ns += ns
            self._elapsed_ns += ns
            return self._now_ns


class CalledClock:
    """A clock read from a function answering aware datetimes (what older callers pass)."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self._now = now

    def now_ms(self) -> int:
        return (self._now() - EPOCH) // MILLISECOND

    def now_ns(self) -> int:
        return (self._now() - EPOCH) // MICROSECOND * 1_000  # datetimes read to the µs

    def monotonic_ms(self) -> int:
        return self.now_ms()  # the function told is the only time there is


def moment(clock: Clock) -> dt.datetime:
    """The clock's now as an aware UTC datetime, to the millisecond."""
    return EPOCH + clock.now_ms() * MILLISECOND
