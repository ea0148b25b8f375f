"""Usage figures in the account's time zone: daily, monthly, approximate charges, active users."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.errors import InvalidArgument, NotFound
from services.metering.adapters import repository, tables
from services.metering.domain.accounts import Account
from services.metering.domain.usage import (
    UsageTotals,
    days_in_month,
    month_masks,
    month_of,
    project_month_end,
)
from services.metering.service.effects import ALL_CHANNELS

MAX_DAILY_RANGE_DAYS = 366
MAX_ACTIVE_RANGE_DAYS = 3_660
MAX_MONTHS = 120
# Memory for the anti-join of a range across months (PostgreSQL, this query only).
ACTIVE_USERS_WORK_MEM = "256MB"


class Usage:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def account(self, connection: Connection, account_id: str) -> Account:
        found = repository.load_accounts(connection, [account_id]).get(account_id)
        if found is None:
            raise NotFound(f"account {account_id!r} not found", "account_id")
        return found

    def daily(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> tuple[Account, list[tuple[dt.date, UsageTotals]], int]:
        """Totals for each day of the range, and active users over the whole range."""
        _check_span(start, end, MAX_DAILY_RANGE_DAYS)
        with self._engine.connect() as connection:
            account = self.account(connection, account_id)
            days = {
                start + dt.timedelta(days=n): UsageTotals() for n in range((end - start).days + 1)
            }
            for row in _daily_rows(connection, account_id, channel_id, start, end):
                _add(days[dt.date.fromisoformat(row.local_date)], row)
            for day, added in _users_added(connection, account_id, channel_id, start, end):
                days[dt.date.fromisoformat(day)].unique_users_added = added
            active = _active_users(connection, account_id, channel_id, start, end)
        return account, sorted(days.items()), active

    def totals(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> tuple[Account, UsageTotals, int]:
        """Every day of the range summed, and active users over the whole range."""
        account, days, active = self.daily(account_id, channel_id, start, end)
        summed = UsageTotals()
        for _, totals in days:
            summed.add(totals)
        return account, summed, active

    def monthly(
        self, account_id: str, channel_id: str, first: dt.date, last: dt.date
    ) -> tuple[Account, list[tuple[str, UsageTotals, int]]]:
        """Totals and active users per calendar month, `first` and `last` being 1st days."""
        months = _months(first, last)
        end = dt.date(last.year, last.month, days_in_month(last.year, last.month))
        with self._engine.connect() as connection:
            account = self.account(connection, account_id)
            totals = {month: UsageTotals() for month in months}
            for row in _daily_rows(connection, account_id, channel_id, first, end):
                _add(totals[row.local_date[:7]], row)
            result = []
            for month in months:
                year, number = int(month[:4]), int(month[5:])
                month_end = dt.date(year, number, days_in_month(year, number))
                active = _active_users(
                    connection, account_id, channel_id, dt.date(year, number, 1), month_end
                )
                result.append((month, totals[month], active))
        return account, result

    def approximate_charges(
        self, account_id: str, channel_id: str, month: str, as_of: dt.date | None
    ) -> tuple[Account, str, int, int, int, int]:
        """(account, month, month-to-date, projection, days elapsed, days in month)."""
        with self._engine.connect() as connection:
            account = self.account(connection, account_id)
            today = as_of or account.today(dt.datetime.fromtimestamp(self._clock(), tz=dt.UTC))
            month = month or month_of(today)
            year, number = _parse_month(month, "month")
            first = dt.date(year, number, 1)
            month_days = days_in_month(year, number)
            last = dt.date(year, number, month_days)
            if today < first:
                elapsed = 0
            elif today > last:
                elapsed = month_days
            else:
                elapsed = today.day
            to_date = min(today, last)
            spent = 0
            if elapsed:
                t = tables.daily_usage
                query = sa.select(sa.func.coalesce(sa.func.sum(t.c.charges_micros), 0)).where(
                    t.c.account_id == account_id,
                    t.c.local_date >= first.isoformat(),
                    t.c.local_date <= to_date.isoformat(),
                    _channel_filter(t, channel_id),
                )
                spent = int(connection.execute(query).scalar_one())
        projection = project_month_end(spent, elapsed, month_days)
        return account, month, spent, projection, elapsed, month_days

    def active_users(self, account_id: str, channel_id: str, start: dt.date, end: dt.date) -> int:
        _check_span(start, end, MAX_ACTIVE_RANGE_DAYS)
        with self._engine.connect() as connection:
            self.account(connection, account_id)
            return _active_users(connection, account_id, channel_id, start, end)


def _active_users(
    connection: Connection, account_id: str, channel_id: str, start: dt.date, end: dt.date
) -> int:
    """Distinct contacts with a delivered message either way on a day of the range.

    Each month's rows hold a contact once, so a month is a plain count; a later month adds only
    the contacts not active in the range's earlier months (an anti-join on the contact).
    """
    masks = sorted(month_masks(start, end).items())
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SET LOCAL work_mem = '{ACTIVE_USERS_WORK_MEM}'"))
    total = 0
    for index, (month, mask) in enumerate(masks):
        later = tables.active_months.alias("later")
        query = (
            sa.select(sa.func.count())
            .select_from(later)
            .where(_active_in(later, account_id, channel_id, month, mask))
        )
        if index:
            earlier = tables.active_months.alias("earlier")
            in_earlier = sa.or_(
                *(_active_in(earlier, account_id, channel_id, m, k) for m, k in masks[:index])
            )
            query = query.where(
                ~sa.exists().where(earlier.c.contact == later.c.contact, in_earlier)
            )
        total += int(connection.execute(query).scalar_one())
    return total


def _active_in(
    t: Any, account_id: str, channel_id: str, month: str, mask: int
) -> sa.ColumnElement[bool]:
    return sa.and_(
        t.c.account_id == account_id,
        t.c.channel_id == channel_id,
        t.c.month == month,
        t.c.days_mask.op("&")(mask) != 0,
    )


def _daily_rows(
    connection: Connection, account_id: str, channel_id: str, start: dt.date, end: dt.date
) -> list[sa.Row]:  # type: ignore[type-arg]
    t = tables.daily_usage
    counters = [sa.func.sum(t.c[name]).label(name) for name in tables.COUNTER_COLUMNS]
    query = (
        sa.select(t.c.local_date, t.c.category, t.c.channel_id, *counters)
        .where(
            t.c.account_id == account_id,
            t.c.local_date >= start.isoformat(),
            t.c.local_date <= end.isoformat(),
            t.c.channel_id == channel_id if channel_id else sa.true(),
        )
        .group_by(t.c.local_date, t.c.category, t.c.channel_id)
    )
    return list(connection.execute(query).all())


def _users_added(
    connection: Connection, account_id: str, channel_id: str, start: dt.date, end: dt.date
) -> list[tuple[str, int]]:
    """(day, contacts whose first active day it is): per phone number, or ('') per account."""
    t = tables.contacts
    query = (
        sa.select(t.c.first_date, sa.func.count())
        .where(
            t.c.account_id == account_id,
            t.c.channel_id == channel_id,
            t.c.first_date >= start.isoformat(),
            t.c.first_date <= end.isoformat(),
        )
        .group_by(t.c.first_date)
    )
    return [(day, int(count)) for day, count in connection.execute(query)]


def _add(totals: UsageTotals, row: sa.Row) -> None:  # type: ignore[type-arg]
    """Add one row of counters (rows on the account-wide channel '' hold none)."""
    if row.channel_id == ALL_CHANNELS:
        return
    totals.notifications_sent += int(row.notifications_sent)
    totals.charges_micros += int(row.charges_micros)
    if row.category:
        counts = totals.category(row.category)
        counts.paid_messages += int(row.paid_messages)
        counts.free_messages += int(row.free_messages)
        counts.paid_conversations += int(row.paid_conversations)
        counts.free_conversations += int(row.free_conversations)


def _channel_filter(t: sa.Table, channel_id: str) -> sa.ColumnElement[bool]:
    if channel_id:
        return t.c.channel_id == channel_id
    return t.c.channel_id != ALL_CHANNELS


def _check_span(start: dt.date, end: dt.date, max_days: int) -> None:
    if end < start:
        raise InvalidArgument("to_date", "must not be before from_date")
    if (end - start).days >= max_days:
        raise InvalidArgument("to_date", f"a range covers at most {max_days} days")


def _parse_month(value: str, field: str) -> tuple[int, int]:
    try:
        parsed = dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise InvalidArgument(field, f"expected a month YYYY-MM, got {value!r}") from None
    if len(value) != 7:
        raise InvalidArgument(field, f"expected a month YYYY-MM, got {value!r}")
    return parsed.year, parsed.month


def parse_month(value: str, field: str) -> dt.date:
    year, number = _parse_month(value, field)
    return dt.date(year, number, 1)


def _months(first: dt.date, last: dt.date) -> list[str]:
    if last < first:
        raise InvalidArgument("to_month", "must not be before from_month")
    months = []
    year, number = first.year, first.month
    while (year, number) <= (last.year, last.month):
        months.append(f"{year:04d}-{number:02d}")
        if len(months) > MAX_MONTHS:
            raise InvalidArgument("to_month", f"a range covers at most {MAX_MONTHS} months")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months
