"""The SQL unit of work: one connection and transaction, with metering's repositories on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.unit_of_work import SqlTransaction
from services.metering.adapters import repository, tables
from services.metering.adapters.queries import SqlUsageQueries
from services.metering.adapters.replies import SqlRecordedReplies
from services.metering.adapters.sql import insert_absent
from services.metering.domain.accounts import Account
from services.metering.domain.events import MessageEvent
from services.metering.domain.messages import MessageState
from services.metering.service.commands import AccountChange
from services.metering.service.ports import (
    AccountRecords,
    Pair,
    RecordedReplies,
    UsageQueries,
    UsageRecords,
)
from services.metering.service.published import Published


class SqlUsageRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def load_accounts(self, account_ids: Iterable[str]) -> dict[str, Account]:
        return repository.load_accounts(self._connection, account_ids)

    def insert_events(
        self, events: Sequence[MessageEvent], local_dates: Mapping[int, str]
    ) -> set[tuple[str, str, str]]:
        return repository.insert_events(self._connection, events, local_dates)

    def lock_messages(self, events: Sequence[MessageEvent]) -> dict[tuple[str, str], MessageState]:
        return repository.lock_messages(self._connection, events)

    def update_messages(
        self,
        states: Iterable[MessageState],
        settlements: Mapping[tuple[str, str], Mapping[str, Any]],
    ) -> None:
        repository.update_messages(self._connection, states, settlements)

    def inbound_times(
        self, account_id: str, pairs: Iterable[Pair], lower_us: int, upper_us: int
    ) -> dict[Pair, list[tuple[int, bool]]]:
        return repository.inbound_times(self._connection, account_id, pairs, lower_us, upper_us)

    def open_conversations(
        self, account_id: str, pairs: Iterable[Pair], lower_us: int, upper_us: int
    ) -> dict[Pair, list[tuple[str, int, int]]]:
        return repository.open_conversations(
            self._connection, account_id, pairs, lower_us, upper_us
        )

    def insert_conversations(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        return repository.insert_conversations(self._connection, rows)

    def record_first_days(self, firsts: Mapping[tuple[str, str, str], str]) -> None:
        repository.record_first_days(self._connection, firsts)

    def mark_active(self, masks: Mapping[tuple[str, str, str, str], int]) -> None:
        repository.mark_active(self._connection, masks)

    def add_daily_usage(
        self, counters: Mapping[tuple[str, str, str, str], Mapping[str, int]]
    ) -> None:
        repository.add_daily_usage(self._connection, counters)

    def add_outbox(self, events: Sequence[Published]) -> None:
        repository.add_outbox(self._connection, events)

    def take_places(self, counts: Mapping[str, int]) -> dict[str, int]:
        return repository.take_places(self._connection, counts)


class SqlAccountRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def consume(self, stream: str, event_id: str) -> bool:
        fresh = insert_absent(
            self._connection,
            tables.consumed_events,
            [{"stream": stream, "event_id": event_id}],
            returning=("event_id",),
        )
        return bool(fresh)

    def store(self, change: AccountChange) -> None:
        t = tables.accounts
        values = {
            "currency_code": change.currency_code,
            "time_zone": change.time_zone,
            "portfolio_id": change.portfolio_id,
            "profile": change.profile,
            "update_us": change.update_us,
            "event_id": change.event_id,
        }
        inserted = insert_absent(
            self._connection, t, [{"account_id": change.account_id, **values}], ("account_id",)
        )
        if not inserted:
            self._connection.execute(
                t.update()
                .where(t.c.account_id == change.account_id, t.c.update_us <= change.update_us)
                .values(values)
            )

    def known(self, account_id: str) -> bool:
        t = tables.accounts
        query = sa.select(t.c.account_id).where(t.c.account_id == account_id)
        return self._connection.execute(query).first() is not None


class SqlUnitOfWork(SqlTransaction):
    records: UsageRecords
    replies: RecordedReplies
    accounts: AccountRecords
    queries: UsageQueries

    def _bind(self, connection: Connection) -> None:
        self.records = SqlUsageRecords(connection)
        self.replies = SqlRecordedReplies(connection)
        self.accounts = SqlAccountRecords(connection)
        self.queries = SqlUsageQueries(connection)


class SqlUnitsOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.one_writer = engine.dialect.name == "sqlite"

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)
