"""The days unit of work: the pool's movements, the channels and their registrations in SQL,
with the answers kept by idempotency key, in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from services.common.idempotency import SqlReplies
from services.common.replies import Replies
from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import day_messages, tables
from services.wallet.adapters.account_lock import lock_account
from services.wallet.service.channel_days import REGISTERED, epoch_day
from services.wallet.service.commands.days import (
    AllocatedDays,
    DeletedChannel,
    PoolDays,
    RegisteredChannel,
)
from services.wallet.service.ports.days import ChannelDays, ChannelRecord, DayRecords


def _record(row: RowMapping) -> ChannelRecord:
    paid = row["paid_through"]
    return ChannelRecord(
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        display_phone_number=row["display_phone_number"],
        paid_through=dt.date.fromisoformat(paid) if paid else None,
        deleted=row["deleted"],
    )


class SqlDayRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def lock_account(self, account_id: str) -> None:
        lock_account(self._connection, account_id)

    def channel(self, account_id: str, channel_id: str) -> ChannelRecord | None:
        c = tables.channels.c
        row = (
            self._connection.execute(
                sa.select(tables.channels).where(
                    c.account_id == account_id, c.channel_id == channel_id
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _record(row)

    def channels(
        self,
        account_id: str,
        *,
        live_only: bool = False,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[ChannelRecord]:
        c = tables.channels.c
        statement = sa.select(tables.channels).where(c.account_id == account_id)
        if live_only:
            statement = statement.where(c.deleted.is_(False))
        if limit is not None:
            statement = statement.order_by(c.channel_id).limit(limit)
        if offset is not None:
            statement = statement.offset(offset)
        rows = self._connection.execute(statement).mappings().all()
        return [_record(row) for row in rows]

    def add_channel(
        self, account_id: str, channel_id: str, display_phone_number: str, now_ms: int
    ) -> None:
        self._connection.execute(
            tables.channels.insert().values(
                account_id=account_id,
                channel_id=channel_id,
                paid_through=None,
                deleted=False,
                created_ms=now_ms,
                updated_ms=now_ms,
                display_phone_number=display_phone_number,
            )
        )

    def register_again(
        self, account_id: str, channel_id: str, display_phone_number: str, now_ms: int
    ) -> None:
        self._change(
            account_id, channel_id, now_ms, deleted=False, display_phone_number=display_phone_number
        )

    def pay_through(self, account_id: str, channel_id: str, day: dt.date, now_ms: int) -> None:
        self._change(account_id, channel_id, now_ms, paid_through=day.isoformat())

    def mark_deleted(self, account_id: str, channel_id: str, now_ms: int) -> None:
        self._change(account_id, channel_id, now_ms, deleted=True, paid_through=None)

    def _change(self, account_id: str, channel_id: str, now_ms: int, **values: Any) -> None:
        c = tables.channels.c
        self._connection.execute(
            tables.channels.update()
            .where(c.account_id == account_id, c.channel_id == channel_id)
            .values(updated_ms=now_ms, **values)
        )

    def move(
        self, account_id: str, channel_id: str, kind: str, days: int, reference: str, now_ms: int
    ) -> None:
        self._connection.execute(
            tables.day_movements.insert().values(
                movement_id=f"{kind}:{uuid.uuid4().hex}",
                account_id=account_id,
                channel_id=channel_id,
                kind=kind,
                days=days,
                reference=reference,
                created_ms=now_ms,
            )
        )

    def bought_days(self, account_id: str) -> bool:
        moves = tables.day_movements.c
        found = self._connection.execute(
            sa.select(moves.id)
            .where(moves.account_id == account_id, moves.kind == "bought")
            .limit(1)
        ).first()
        return found is not None

    def pool(self, account_id: str) -> int:
        movements = tables.day_movements.c
        total = self._connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(movements.days), 0)).where(
                movements.account_id == account_id
            )
        ).scalar_one()
        return int(total)

    def record_channel_event(
        self, account_id: str, channel_id: str, kind: str, epoch_day: int, created_ms: int
    ) -> None:
        self._connection.execute(
            tables.channel_events.insert().values(
                account_id=account_id,
                channel_id=channel_id,
                kind=kind,
                epoch_day=epoch_day,
                created_ms=created_ms,
            )
        )

    def count_channel_days(self, account_id: str, first: dt.date, last: dt.date) -> ChannelDays:
        return count_channel_days(self._connection, account_id, first, last)


def count_channel_days(
    connection: Connection, account_id: str, first: dt.date, last: dt.date
) -> ChannelDays:
    """Channel-days over first..last (inclusive), in one query.

    Each registration opens a period that the channel's next event closes (its deletion); a
    period still open runs past the range. Events after the range are left out, so a period
    they close is open as far as the range can see.
    """
    events = tables.channel_events.c
    start, after = epoch_day(first), epoch_day(last) + 1
    periods = (
        sa.select(
            events.channel_id,
            events.kind,
            events.epoch_day.label("from_day"),
            sa.func.lead(events.epoch_day)
            .over(partition_by=events.channel_id, order_by=events.id)
            .label("until_day"),
        )
        .where(events.account_id == account_id, events.epoch_day < after)
        .subquery()
    )
    p = periods.c
    begins = sa.case((p.from_day > start, p.from_day), else_=start)
    ends = sa.case((p.until_day.is_(None) | (p.until_day > after), after), else_=p.until_day)
    live_days = sa.case((ends > begins, ends - begins), else_=0)
    live_at_start = sa.case(
        ((p.from_day < start) & (p.until_day.is_(None) | (p.until_day >= start)), 1), else_=0
    )
    row = connection.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(live_days), 0),
            sa.func.coalesce(sa.func.sum(live_at_start), 0),
            sa.func.count(sa.distinct(sa.case((live_days > 0, p.channel_id)))),
        ).where(p.kind == REGISTERED)
    ).one()
    return ChannelDays(int(row[0]), int(row[1]), int(row[2]))


class DaysUnitOfWork(SqlTransaction):
    days: DayRecords
    added: Replies[PoolDays]
    taken_back: Replies[PoolDays]
    registered: Replies[RegisteredChannel]
    allocated: Replies[AllocatedDays]
    deleted: Replies[DeletedChannel]

    def _bind(self, connection: Connection) -> None:
        self.days = SqlDayRecords(connection)
        self.added = SqlReplies(
            connection, tables.idempotency_keys, day_messages.added_stored, day_messages.added_kept
        )
        self.taken_back = SqlReplies(
            connection,
            tables.idempotency_keys,
            day_messages.taken_back_stored,
            day_messages.taken_back_kept,
        )
        self.registered = SqlReplies(
            connection,
            tables.idempotency_keys,
            day_messages.registered_stored,
            day_messages.registered_kept,
        )
        self.allocated = SqlReplies(
            connection,
            tables.idempotency_keys,
            day_messages.allocated_stored,
            day_messages.allocated_kept,
        )
        self.deleted = SqlReplies(
            connection,
            tables.idempotency_keys,
            day_messages.deleted_stored,
            day_messages.deleted_kept,
        )


def days_work(engine: Engine) -> Callable[[], DaysUnitOfWork]:
    return lambda: DaysUnitOfWork(engine)
