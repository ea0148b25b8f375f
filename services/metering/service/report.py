"""The usage report: inbound messages and sent messages in time order, read in bounded pages."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.metering.adapters import tables
from services.metering.domain.accounts import Account, zone
from services.metering.domain.events import INBOUND, INBOUND_DIRECTION, OUTBOUND_DIRECTION
from services.metering.domain.report import ReportRow
from services.metering.service.usage import Usage, _check_span

PAGE_ROWS = 1_000
MAX_REPORT_DAYS = 366


class UsageReport:
    def __init__(self, engine: Engine, usage: Usage) -> None:
        self._engine = engine
        self._usage = usage

    def rows(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> Iterator[ReportRow]:
        """Every interaction from `start` to `end` (local dates, inclusive), oldest first."""
        _check_span(start, end, MAX_REPORT_DAYS)
        with self._engine.connect() as connection:
            account = self._usage.account(connection, account_id)
        lower_us, upper_us = _bounds(account, start, end)
        inbound = self._inbound(account, channel_id, lower_us, upper_us)
        outbound = self._outbound(account, channel_id, lower_us, upper_us)
        for _, _, row in heapq.merge(inbound, outbound, key=lambda item: (item[0], item[1])):
            yield row

    def _inbound(
        self, account: Account, channel_id: str, lower_us: int, upper_us: int
    ) -> Iterator[tuple[int, str, ReportRow]]:
        t = tables.events
        after: tuple[int, int] = (lower_us - 1, 0)
        while True:
            query = (
                sa.select(t)
                .where(
                    t.c.account_id == account.account_id,
                    t.c.status == INBOUND,
                    sa.tuple_(t.c.occur_us, t.c.id) > after,
                    t.c.occur_us < upper_us,
                    t.c.channel_id == channel_id if channel_id else sa.true(),
                )
                .order_by(t.c.occur_us, t.c.id)
                .limit(PAGE_ROWS)
            )
            with self._engine.connect() as connection:
                page = connection.execute(query).all()
            for row in page:
                yield (
                    row.occur_us,
                    row.message_id,
                    ReportRow(
                        chat_id=row.chat_id,
                        session_id=row.session_id,
                        occur_us=row.occur_us,
                        local_time=_local(account, row.occur_us),
                        customer_phone=row.contact,
                        template=False,
                        destination=row.channel_id,
                        message_id=row.message_id,
                        channel_id=row.channel_id,
                        direction=INBOUND_DIRECTION,
                    ),
                )
            if len(page) < PAGE_ROWS:
                return
            after = (page[-1].occur_us, page[-1].id)

    def _outbound(
        self, account: Account, channel_id: str, lower_us: int, upper_us: int
    ) -> Iterator[tuple[int, str, ReportRow]]:
        t = tables.messages
        after: tuple[int, str] = (lower_us - 1, "")
        while True:
            query = (
                sa.select(t)
                .where(
                    t.c.account_id == account.account_id,
                    sa.tuple_(t.c.first_us, t.c.message_id) > after,
                    t.c.first_us < upper_us,
                    t.c.channel_id == channel_id if channel_id else sa.true(),
                )
                .order_by(t.c.first_us, t.c.message_id)
                .limit(PAGE_ROWS)
            )
            with self._engine.connect() as connection:
                page = connection.execute(query).all()
            for row in page:
                yield (
                    row.first_us,
                    row.message_id,
                    ReportRow(
                        chat_id=row.chat_id,
                        session_id=row.session_id,
                        occur_us=row.first_us,
                        local_time=_local(account, row.first_us),
                        customer_phone=row.contact,
                        template=row.is_template,
                        destination=row.contact,
                        message_id=row.message_id,
                        channel_id=row.channel_id,
                        direction=OUTBOUND_DIRECTION,
                    ),
                )
            if len(page) < PAGE_ROWS:
                return
            after = (page[-1].first_us, page[-1].message_id)


def _bounds(account: Account, start: dt.date, end: dt.date) -> tuple[int, int]:
    """UTC microseconds of local midnight starting `start` and ending `end`."""
    tz = zone(account.time_zone)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    def micros(day: dt.date) -> int:
        moment = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        return (moment - epoch) // dt.timedelta(microseconds=1)

    return micros(start), micros(end + dt.timedelta(days=1))


def _local(account: Account, at_us: int) -> str:
    return account.local_time(at_us).strftime("%Y-%m-%d %H:%M:%S")
