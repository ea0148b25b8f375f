"""Redis Streams: a consumer-group reader (a Worker) and the outbox relay (a Worker).

Both loops are bounded: entries per read, rows per relay pass, and a block/idle wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from billing.metering.v1 import outbox_pb2
from sqlalchemy.engine import Engine

from services.common.redis_client import RedisClient
from services.common.streams import GroupReader
from services.metering.adapters import tables

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_READ = 100
MAX_BATCHES_PER_RELAY = 20  # outbox rows; each holds one RecordEvents batch's events
BLOCK_MS = 1_000
RETRY_WAIT_S = 1.0
CLAIM_IDLE_MS = 30_000
DEFAULT_STREAM_MAXLEN = 1_000_000

Handler = Callable[[str, Mapping[bytes, bytes]], None]


class _Loop:
    """A daemon thread calling `pass_once` until stopped."""

    name = "loop"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.pass_once()
            except Exception:
                log.exception("background pass failed", extra={"worker": self.name})
                busy = 0
                self._stop.wait(RETRY_WAIT_S)
            if not busy:
                self._idle()

    def _idle(self) -> None:
        self._wake.wait(RETRY_WAIT_S)
        self._wake.clear()

    def pass_once(self) -> int:
        raise NotImplementedError


class StreamConsumer(_Loop):
    """Reads a stream in a consumer group; acks an entry once its handler returned.

    Entries a handler failed on, or that a stopped consumer left pending, are taken over
    once they have been idle for claim_idle_ms.
    """

    def __init__(
        self,
        client: RedisClient,
        stream: str,
        group: str,
        consumer: str,
        handler: Handler,
        claim_idle_ms: int = CLAIM_IDLE_MS,
    ) -> None:
        super().__init__()
        self.name = f"consume:{stream}"
        self._reader = GroupReader(client, stream, group, consumer, claim_idle_ms)
        self._handler = handler

    def _idle(self) -> None:
        """Reading blocks already; nothing more to wait for."""

    def pass_once(self, block_ms: int | None = BLOCK_MS) -> int:
        """Handle up to MAX_ENTRIES_PER_READ entries; the number handled."""
        handled = 0
        for entry_id, fields in self._reader.read(MAX_ENTRIES_PER_READ, block_ms):
            self._handler(_text(entry_id), fields)
            self._reader.ack([entry_id])
            handled += 1
        return handled

    def drain(self) -> int:
        """Handle everything waiting now (for operators and tests)."""
        total = 0
        while handled := self.pass_once(block_ms=None):
            total += handled
        return total


class OutboxRelay(_Loop):
    """Moves committed outbox batches to their streams, oldest first, then deletes them.

    At least once: a crash between XADD and DELETE publishes a batch again (same event ids).
    """

    name = "outbox-relay"

    def __init__(self, engine: Engine, client: RedisClient, maxlen: int) -> None:
        super().__init__()
        self._engine = engine
        self._client = client
        self._maxlen = maxlen
        self._lock = threading.Lock()

    def pass_once(self) -> int:
        """Publish up to MAX_BATCHES_PER_RELAY batches; the number of events published."""
        t = tables.outbox
        with self._lock, self._engine.begin() as connection:
            query = sa.select(t).order_by(t.c.id).limit(MAX_BATCHES_PER_RELAY)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = connection.execute(query).all()
            if not rows:
                return 0
            pipeline = self._client.pipeline(transaction=False)
            published = 0
            for row in rows:
                for event in outbox_pb2.OutboxBatch.FromString(row.events).events:
                    fields: dict[Any, Any] = {
                        "event": event.event,
                        "type": event.type,
                        "event_id": event.event_id,
                    }
                    pipeline.xadd(event.stream, fields, maxlen=self._maxlen, approximate=True)
                    published += 1
            pipeline.execute()
            connection.execute(t.delete().where(t.c.id.in_([row.id for row in rows])))
            return published

    def drain(self) -> int:
        total = 0
        while moved := self.pass_once():
            total += moved
        return total


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
