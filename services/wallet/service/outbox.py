"""The outbox relay: events committed with their SQL change are published, none lost."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from billing.wallet.v1 import account_pb2
from sqlalchemy.engine import Engine

from services.common.redis_client import RedisClient
from services.wallet.adapters import tables
from services.wallet.service.accounts import EVENT_TYPE, Accounts
from services.wallet.service.settings import ACCOUNTS_STREAM

STREAM_MAX_LENGTH = 100_000


class OutboxRelay:
    def __init__(self, engine: Engine, events: RedisClient, accounts: Accounts, batch: int) -> None:
        self._engine = engine
        self._events = events
        self._accounts = accounts
        self._batch = batch

    def step(self) -> int:
        """Publish at most `batch` unpublished events, oldest first (at least once)."""
        outbox = tables.outbox
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(outbox.c.id, outbox.c.stream, outbox.c.event_type, outbox.c.payload)
                .where(outbox.c.published_ms.is_(None))
                .order_by(outbox.c.id)
                .limit(self._batch)
            ).all()
        for row in rows:
            if row.event_type == EVENT_TYPE:
                profile = account_pb2.AccountChanged.FromString(row.payload).profile
                self._accounts.refresh(profile.account_id)
            self._events.xadd(
                row.stream,
                {"event": row.payload, "type": row.event_type},
                maxlen=STREAM_MAX_LENGTH,
                approximate=True,
            )
            with self._engine.begin() as connection:
                connection.execute(
                    outbox.update()
                    .where(outbox.c.id == row.id)
                    .values(published_ms=time.time_ns() // 1_000_000)
                )
        return len(rows)


class AccountFollower:
    """Drops cached account views when any wallet instance publishes AccountChanged."""

    def __init__(self, events: RedisClient, accounts: Accounts, batch: int) -> None:
        self._events = events
        self._accounts = accounts
        self._batch = batch
        self._last_id: Any = "$"

    def step(self) -> int:
        if self._last_id == "$":
            newest: Any = self._events.xrevrange(ACCOUNTS_STREAM, count=1)
            self._last_id = newest[0][0] if newest else b"0-0"
        found: Any = self._events.xread({ACCOUNTS_STREAM: self._last_id}, count=self._batch)
        seen = 0
        for _stream, items in found or []:
            for entry_id, fields in items:
                self._last_id = entry_id
                event = account_pb2.AccountChanged.FromString(fields[b"event"])
                self._accounts.cache.invalidate(event.profile.account_id)
                seen += 1
        return seen
