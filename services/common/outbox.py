"""The transactional outbox: events are written in the same SQL transaction as the change
they announce, and a relay adds them to their streams.

A row lives until every group declared for its streams (services.common.event_streams) has
acknowledged its entries; then the row is deleted and the stream trimmed to that point, never
further: streams are trimmed by acknowledgement only, never by length. On a stream declared to
expire, entries older than the retention go too, read or not, counted and logged. A
stream whose declared group vanished (Redis lost its data) gets its unacknowledged rows
published again: consumers are idempotent by event id, so nothing is lost or doubled.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import outbox_pb2
from google.protobuf.message import Message
from sqlalchemy.engine import Connection, Engine

from services.common import event_streams
from services.common.clock import Clock, SystemClock
from services.common.redis_client import RedisClient
from services.common.streams import (
    Retention,
    acknowledged_up_to,
    ensure_groups,
    trim_expired,
    trim_to,
)

log = logging.getLogger(__name__)
ROWS_PER_STEP = 50
ROWS_PER_SETTLE = 1_000
SETTLE_EVERY_S = 0.5
RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def outbox_table(metadata: sa.MetaData, name: str) -> sa.Table:
    """An outbox: one row per committed transaction, its events packed (OutboxBatch)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("events", sa.LargeBinary, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        # JSON {stream: the last entry id this row added to it}; NULL until published.
        sa.Column("published", sa.Text, nullable=True),
    )


def event(stream: str, event_id: str, message: Message) -> outbox_pb2.OutboxEvent:
    """An event for a stream declared in services.common.event_streams (ValueError otherwise:
    a stream nobody is declared to read could only be trimmed by length, dropping entries)."""
    if stream not in event_streams.BY_NAME:
        raise ValueError(f"stream {stream!r} is not declared in services.common.event_streams")
    return outbox_pb2.OutboxEvent(
        stream=stream,
        event_id=event_id,
        type=message.DESCRIPTOR.full_name,
        event=message.SerializeToString(deterministic=True),
    )


def add(connection: Connection, table: sa.Table, events: Sequence[outbox_pb2.OutboxEvent]) -> None:
    """Write the events in the caller's transaction (nothing when there are none)."""
    if events:
        packed = outbox_pb2.OutboxBatch(events=events).SerializeToString()
        connection.execute(
            sa.insert(table), {"events": packed, "created_ms": time.time_ns() // 1_000_000}
        )


def _fields(item: outbox_pb2.OutboxEvent) -> dict[Any, Any]:
    return {"event": item.event, "type": item.type, "event_id": item.event_id}


class OutboxRelay:
    """Publishes rows oldest first, at least once; then, at most every SETTLE_EVERY_S, deletes
    acknowledged rows and trims. Relays running side by side never publish the same row: on
    PostgreSQL each claims its rows with FOR UPDATE SKIP LOCKED; SQLite has no row locks, so
    a relay's step takes the database's write lock first and the next relay waits for it."""

    def __init__(
        self,
        engine: Engine,
        table: sa.Table,
        client: RedisClient,
        rows: int = ROWS_PER_STEP,
        after_publish: Callable[[list[outbox_pb2.OutboxEvent]], object] | None = None,
        retention: Retention | None = None,
        clock: Clock | None = None,
    ) -> None:
        """after_publish: told the events of each step once they are on their streams."""
        self._engine = engine
        self._table = table
        self._client = client
        self._rows = rows
        self._after_publish = after_publish
        self._retention = retention or Retention()
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._next_settle = 0.0
        self._grouped: set[str] = set()

    def step(self) -> int:
        """Publish up to `rows` rows and settle what was acknowledged; events published."""
        with self._lock:
            published = self._publish()
            if time.monotonic() >= self._next_settle:
                self._next_settle = time.monotonic() + SETTLE_EVERY_S
                self.settle()
        return published

    def drain(self) -> int:
        total = 0
        while moved := self.step():
            total += moved
        return total

    def backlog(self) -> int:
        """Rows not yet published."""
        with self._engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).where(self._table.c.published.is_(None))
                ).scalar_one()
            )

    def _publish(self) -> int:
        t = self._table
        with self._engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                # A write that changes nothing takes the write lock until this step commits.
                connection.execute(t.update().where(sa.false()).values(published=None))
            query = (
                sa.select(t.c.id, t.c.events)
                .where(t.c.published.is_(None))
                .order_by(t.c.id)
                .limit(self._rows)
            )
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = connection.execute(query).all()
            if not rows:
                return 0
            pipeline = self._client.pipeline(transaction=False)
            plan: list[tuple[int, str]] = []
            events: list[outbox_pb2.OutboxEvent] = []
            for row in rows:
                for item in outbox_pb2.OutboxBatch.FromString(row.events).events:
                    events.append(item)
                    self._ensure_groups(item.stream)
                    pipeline.xadd(item.stream, _fields(item))
                    plan.append((row.id, item.stream))
            entry_ids = pipeline.execute()
            if self._after_publish is not None:
                self._after_publish(events)  # a failure leaves the rows to publish again
            published: dict[int, dict[str, str]] = {row.id: {} for row in rows}
            for (row_id, stream), entry_id in zip(plan, entry_ids, strict=True):
                published[row_id][stream] = _text(entry_id)
            connection.execute(
                t.update().where(t.c.id == sa.bindparam("row_id")),
                [
                    {"row_id": row_id, "published": json.dumps(streams)}
                    for row_id, streams in published.items()
                ],
            )
        return len(plan)

    def _ensure_groups(self, stream: str) -> None:
        if stream not in self._grouped:
            ensure_groups(self._client, stream, event_streams.groups_of(stream))
            self._grouped.add(stream)

    def settle(self) -> int:
        """Delete rows every declared group has acknowledged, or whose entries expired, and trim
        their streams; publish again the rows of a stream that lost its groups. Returns rows
        deleted."""
        t = self._table
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(t.c.id, t.c.published)
                .where(t.c.published.is_not(None))
                .order_by(t.c.id)
                .limit(ROWS_PER_SETTLE)
            ).all()
        if not rows:
            return 0
        by_stream: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for row in rows:
            for stream, entry_id in json.loads(row.published).items():
                by_stream[stream].append((row.id, entry_id))
        done = {row.id for row in rows}
        lost: set[int] = set()
        for stream, published in by_stream.items():
            groups = event_streams.groups_of(stream)
            if not groups:
                continue
            upto = acknowledged_up_to(self._client, stream, groups)
            if upto is None:
                lost.update(row_id for row_id, _ in published)
                self._grouped.discard(stream)
                log.warning("stream lost its groups; publishing again", extra={"stream": stream})
                continue
            trim_to(self._client, stream, upto)
            if event_streams.expires(stream):
                bound = self._retention.bound(self._clock.now_ms())
                upto = trim_expired(self._client, stream, upto, bound)
            waiting = {row_id for row_id, entry_id in published if not _before(entry_id, upto)}
            done -= waiting
        done -= lost
        with self._engine.begin() as connection:
            if lost:
                connection.execute(t.update().where(t.c.id.in_(lost)).values(published=None))
            if done:
                connection.execute(t.delete().where(t.c.id.in_(done)))
        return len(done)


def _before(entry_id: str, upto: bytes) -> bool:
    milliseconds, _, sequence = entry_id.partition("-")
    upper_ms, _, upper_seq = upto.decode().partition("-")
    return (int(milliseconds), int(sequence)) < (int(upper_ms), int(upper_seq))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
