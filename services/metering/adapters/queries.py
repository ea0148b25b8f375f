"""The read side of metering's tables: usage figures, charges and report pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.metering.adapters import tables
from services.metering.domain.events import INBOUND
from services.metering.service.effects import ALL_CHANNELS
from services.metering.service.ports import DailyCounters, ReportedMessage

# Memory for the anti-join of a range across months (PostgreSQL, this query only).
ACTIVE_USERS_WORK_MEM = "256MB"


class SqlUsageQueries:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def daily_counters(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> list[DailyCounters]:
        t = tables.daily_usage
        counters = [sa.func.sum(t.c[name]).label(name) for name in tables.COUNTER_COLUMNS]
        query = (
            sa.select(t.c.local_date, t.c.category, t.c.channel_id, *counters)
            .where(
                t.c.account_id == account_id,
                *_within(t.c.local_date, start, end),
                _on_channel(t, channel_id),
            )
            .group_by(t.c.local_date, t.c.category, t.c.channel_id)
        )
        return [
            DailyCounters(
                local_date=row.local_date,
                category=row.category,
                channel_id=row.channel_id,
                **{name: int(row._mapping[name]) for name in tables.COUNTER_COLUMNS},
            )
            for row in self._connection.execute(query)
        ]

    def users_added(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> list[tuple[str, int]]:
        """(day, contacts whose first active day it is): per phone number, or ('') per account."""
        t = tables.contacts
        query = (
            sa.select(t.c.first_date, sa.func.count())
            .where(
                t.c.account_id == account_id,
                t.c.channel_id == channel_id,
                *_within(t.c.first_date, start, end),
            )
            .group_by(t.c.first_date)
        )
        return [(day, int(count)) for day, count in self._connection.execute(query)]

    def active_users(self, account_id: str, channel_id: str, masks: Mapping[str, int]) -> int:
        """Each month's rows hold a contact once, so a month is a plain count; a later month
        adds only the contacts not active in the range's earlier months (an anti-join)."""
        ordered = sorted(masks.items())
        if self._connection.dialect.name == "postgresql":
            self._connection.execute(sa.text(f"SET LOCAL work_mem = '{ACTIVE_USERS_WORK_MEM}'"))
        total = 0
        for index, (month, mask) in enumerate(ordered):
            later = tables.active_months.alias("later")
            query = (
                sa.select(sa.func.count())
                .select_from(later)
                .where(_active_in(later, account_id, channel_id, month, mask))
            )
            if index:
                earlier = tables.active_months.alias("earlier")
                in_earlier = sa.or_(
                    *(_active_in(earlier, account_id, channel_id, m, k) for m, k in ordered[:index])
                )
                query = query.where(
                    ~sa.exists().where(earlier.c.contact == later.c.contact, in_earlier)
                )
            total += int(self._connection.execute(query).scalar_one())
        return total

    def charges_micros(self, account_id: str, channel_id: str, start: dt.date, end: dt.date) -> int:
        t = tables.daily_usage
        query = sa.select(sa.func.coalesce(sa.func.sum(t.c.charges_micros), 0)).where(
            t.c.account_id == account_id,
            *_within(t.c.local_date, start, end),
            t.c.channel_id == channel_id if channel_id else t.c.channel_id != ALL_CHANNELS,
        )
        return int(self._connection.execute(query).scalar_one())

    def charge_lines(
        self, account_id: str, channel_id: str, start_us: int, end_us: int
    ) -> list[tuple[str, str, int, int]]:
        t = tables.messages
        query = (
            sa.select(t.c.charged_category, t.c.market, t.c.price_micros, sa.func.count())
            .where(
                t.c.account_id == account_id,
                t.c.action == "commit",
                t.c.price_micros > 0,
                t.c.settle_us >= start_us,
                t.c.settle_us < end_us,
            )
            .group_by(t.c.charged_category, t.c.market, t.c.price_micros)
            .order_by(t.c.charged_category, t.c.market, t.c.price_micros)
        )
        if channel_id:
            query = query.where(t.c.channel_id == channel_id)
        return [
            (row[0], row[1], int(row[2]), int(row[3]))
            for row in self._connection.execute(query).all()
        ]

    def inbound_page(
        self, account_id: str, channel_id: str, after: tuple[int, int], upper_us: int, rows: int
    ) -> list[ReportedMessage]:
        t = tables.events
        found = self._page(
            t,
            (t.c.occur_us, t.c.id),
            account_id,
            channel_id,
            after,
            upper_us,
            rows,
            t.c.status == INBOUND,
        )
        return [
            ReportedMessage(
                occur_us=row.occur_us,
                chat_id=row.chat_id,
                session_id=row.session_id,
                contact=row.contact,
                is_template=False,
                message_id=row.message_id,
                channel_id=row.channel_id,
                row_id=row.id,
            )
            for row in found
        ]

    def outbound_page(
        self, account_id: str, channel_id: str, after: tuple[int, str], upper_us: int, rows: int
    ) -> list[ReportedMessage]:
        t = tables.messages
        found = self._page(
            t, (t.c.first_us, t.c.message_id), account_id, channel_id, after, upper_us, rows
        )
        return [
            ReportedMessage(
                occur_us=row.first_us,
                chat_id=row.chat_id,
                session_id=row.session_id,
                contact=row.contact,
                is_template=row.is_template,
                message_id=row.message_id,
                channel_id=row.channel_id,
            )
            for row in found
        ]

    def _page(
        self,
        t: sa.Table,
        order: tuple[sa.Column[Any], sa.Column[Any]],
        account_id: str,
        channel_id: str,
        after: tuple[int, int] | tuple[int, str],
        upper_us: int,
        rows: int,
        *where: sa.ColumnElement[bool],
    ) -> Sequence[sa.Row[Any]]:
        """A report page of `t`: up to `rows` rows after `after` in (time, key) order, before
        `upper_us`, on one phone number or all."""
        occur_us, key = order
        query = (
            sa.select(t)
            .where(
                t.c.account_id == account_id,
                *where,
                sa.tuple_(occur_us, key) > after,
                occur_us < upper_us,
                _on_channel(t, channel_id),
            )
            .order_by(occur_us, key)
            .limit(rows)
        )
        return self._connection.execute(query).all()


def _within(
    day: sa.Column[Any], start: dt.date, end: dt.date
) -> tuple[sa.ColumnElement[bool], ...]:
    """From `start` to `end`, both included (days stored as ISO text)."""
    return day >= start.isoformat(), day <= end.isoformat()


def _on_channel(t: sa.Table, channel_id: str) -> sa.ColumnElement[bool]:
    """One phone number's rows, or (none named) every row."""
    return t.c.channel_id == channel_id if channel_id else sa.true()


def _active_in(
    t: Any, account_id: str, channel_id: str, month: str, mask: int
) -> sa.ColumnElement[bool]:
    return sa.and_(
        t.c.account_id == account_id,
        t.c.channel_id == channel_id,
        t.c.month == month,
        t.c.days_mask.op("&")(mask) != 0,
    )
