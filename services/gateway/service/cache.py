"""A small time-bounded cache of credential records, so most requests skip the SQL lookup."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

from services.common.clock import Clock

K = TypeVar("K")
V = TypeVar("V")
MAX_ENTRIES = 10_000


class TtlCache(Generic[K, V]):
    """Entries live `ttl_s` seconds of the clock's monotonic time (0 disables the cache); at
    most MAX_ENTRIES, oldest out."""

    def __init__(self, ttl_s: float, clock: Clock) -> None:
        self._ttl_ms = round(ttl_s * 1000)
        self._clock = clock
        self._entries: OrderedDict[K, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] <= self._clock.monotonic_ms():
                del self._entries[key]
                return None
            return found[1]

    def put(self, key: K, value: V) -> None:
        if self._ttl_ms <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock.monotonic_ms() + self._ttl_ms, value)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)
