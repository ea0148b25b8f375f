"""The usage report: inbound messages and sent messages in time order, read in bounded pages."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator

from services.metering.domain.accounts import Account, zone
from services.metering.domain.events import INBOUND_DIRECTION, OUTBOUND_DIRECTION
from services.metering.domain.report import ReportRow
from services.metering.service.ports import ReportedMessage, UnitsOfWork
from services.metering.service.usage import Usage, _check_span

PAGE_ROWS = 1_000
MAX_REPORT_DAYS = 366


class UsageReport:
    def __init__(self, units: UnitsOfWork, usage: Usage) -> None:
        self._units = units
        self._usage = usage

    def rows(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> Iterator[ReportRow]:
        """Every interaction from `start` to `end` (local dates, inclusive), oldest first."""
        _check_span(start, end, MAX_REPORT_DAYS)
        with self._units() as uow:
            account = self._usage.account(uow, account_id)
        lower_us, upper_us = _bounds(account, start, end)
        inbound = self._inbound(account, channel_id, lower_us, upper_us)
        outbound = self._outbound(account, channel_id, lower_us, upper_us)
        for _, _, row in heapq.merge(inbound, outbound, key=lambda item: (item[0], item[1])):
            yield row

    def _inbound(
        self, account: Account, channel_id: str, lower_us: int, upper_us: int
    ) -> Iterator[tuple[int, str, ReportRow]]:
        after: tuple[int, int] = (lower_us - 1, 0)
        while True:
            with self._units() as uow:
                page = uow.queries.inbound_page(
                    account.account_id, channel_id, after, upper_us, PAGE_ROWS
                )
            for row in page:
                yield row.occur_us, row.message_id, _row(account, row, INBOUND_DIRECTION)
            if len(page) < PAGE_ROWS:
                return
            after = (page[-1].occur_us, page[-1].row_id)

    def _outbound(
        self, account: Account, channel_id: str, lower_us: int, upper_us: int
    ) -> Iterator[tuple[int, str, ReportRow]]:
        after: tuple[int, str] = (lower_us - 1, "")
        while True:
            with self._units() as uow:
                page = uow.queries.outbound_page(
                    account.account_id, channel_id, after, upper_us, PAGE_ROWS
                )
            for row in page:
                yield row.occur_us, row.message_id, _row(account, row, OUTBOUND_DIRECTION)
            if len(page) < PAGE_ROWS:
                return
            after = (page[-1].occur_us, page[-1].message_id)


def _row(account: Account, message: ReportedMessage, direction: str) -> ReportRow:
    inbound = direction == INBOUND_DIRECTION
    return ReportRow(
        chat_id=message.chat_id,
        session_id=message.session_id,
        occur_us=message.occur_us,
        local_time=_local(account, message.occur_us),
        customer_phone=message.contact,
        template=message.is_template,
        destination=message.channel_id if inbound else message.contact,
        message_id=message.message_id,
        channel_id=message.channel_id,
        direction=direction,
    )


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
