"""Background loops: each a thread that steps until stopped; every step is bounded."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from services.common.streams import GroupReader

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 5.0


class Loop:
    """Runs `step` again at once while it finds work. When idle it waits `interval_s`, doubled
    after each idle step up to `idle_max_s`, so a quiet wallet polls Redis and SQL rarely."""

    def __init__(
        self,
        name: str,
        step: Callable[[], int],
        interval_s: float,
        idle_max_s: float | None = None,
    ) -> None:
        self.name = name
        self.step = step
        self._interval_s = interval_s
        self._idle_max_s = max(interval_s, idle_max_s if idle_max_s is not None else interval_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"wallet-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        idle_s = self._interval_s
        failing_s = 0.0
        while not self._stop.is_set():
            try:
                done = self.step()
            except Exception:
                log.exception("worker step failed", extra={"worker": self.name})
                failing_s = min(max((failing_s or self._interval_s) * 2, 0.1), MAX_BACKOFF_S)
                self._stop.wait(failing_s)
                continue
            failing_s = 0.0
            if done:
                idle_s = self._interval_s
                continue
            self._stop.wait(idle_s)
            idle_s = min(idle_s * 2, self._idle_max_s)


class EventConsumer:
    """Reads one stream's protobuf events (field `event`) and applies each; acknowledges after."""

    def __init__(
        self,
        reader: GroupReader,
        message_type: type[Message],
        apply: Callable[[Any], object],
        batch: int,
    ) -> None:
        self._reader = reader
        self._type = message_type
        self._apply = apply
        self._batch = batch

    def step(self) -> int:
        entries = self._reader.read(self._batch)
        for entry_id, fields in entries:
            payload = fields.get(b"event")
            if payload is None:
                log.warning("stream entry without an event", extra={"entry": entry_id.decode()})
            else:
                self._apply(self._type.FromString(payload))
            self._reader.ack([entry_id])
        return len(entries)
