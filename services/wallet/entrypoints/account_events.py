"""Account changes as the wallet's outbox and stream carry them: an account's hot copy written
again once its change is published, and every process's cached views dropped when any process
changes an account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from billing.common.v1 import outbox_pb2
from billing.wallet.v1 import account_pb2

from services.common.redis_client import RedisClient
from services.wallet.adapters.profile_messages import EVENT_TYPE
from services.wallet.service.accounts import Accounts
from services.wallet.service.settings import ACCOUNTS_STREAM


def refresh_published_accounts(
    accounts: Accounts, events: Sequence[outbox_pb2.OutboxEvent]
) -> None:
    """After the relay published account changes: their hot copies, written again from SQL
    (a process that died between its commit and its own refresh leaves none stale)."""
    for item in events:
        if item.type == EVENT_TYPE:
            accounts.refresh(account_pb2.AccountChanged.FromString(item.event).profile.account_id)


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
