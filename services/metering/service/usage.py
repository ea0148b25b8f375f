"""Usage figures in the account's time zone: daily, monthly, approximate charges, active users."""

from __future__ import annotations

import datetime as dt

from services.common.clock import Clock
from services.common.errors import InvalidArgument, NotFound
from services.metering.domain.accounts import Account
from services.metering.domain.usage import (
    UsageTotals,
    days_in_month,
    month_masks,
    month_of,
    project_month_end,
)
from services.metering.service.effects import ALL_CHANNELS
from services.metering.service.ports import DailyCounters, UnitOfWork, UnitsOfWork

MAX_DAILY_RANGE_DAYS = 366
MAX_ACTIVE_RANGE_DAYS = 3_660
MAX_MONTHS = 120
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Usage:
    def __init__(self, units: UnitsOfWork, clock: Clock) -> None:
        self._units = units
        self._clock = clock

    def account(self, uow: UnitOfWork, account_id: str) -> Account:
        found = uow.records.load_accounts([account_id]).get(account_id)
        if found is None:
            raise NotFound(f"account {account_id!r} not found", "account_id")
        return found

    def daily(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> tuple[Account, list[tuple[dt.date, UsageTotals]], int]:
        """Totals for each day of the range, and active users over the whole range."""
        _check_span(start, end, MAX_DAILY_RANGE_DAYS)
        with self._units() as uow:
            account = self.account(uow, account_id)
            days = {
                start + dt.timedelta(days=n): UsageTotals() for n in range((end - start).days + 1)
            }
            for row in uow.queries.daily_counters(account_id, channel_id, start, end):
                _add(days[dt.date.fromisoformat(row.local_date)], row)
            for day, added in uow.queries.users_added(account_id, channel_id, start, end):
                days[dt.date.fromisoformat(day)].unique_users_added = added
            active = _active_users(uow, account_id, channel_id, start, end)
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
        with self._units() as uow:
            account = self.account(uow, account_id)
            totals = {month: UsageTotals() for month in months}
            for row in uow.queries.daily_counters(account_id, channel_id, first, end):
                _add(totals[row.local_date[:7]], row)
            result = []
            for month in months:
                year, number = int(month[:4]), int(month[5:])
                month_end = dt.date(year, number, days_in_month(year, number))
                active = _active_users(
                    uow, account_id, channel_id, dt.date(year, number, 1), month_end
                )
                result.append((month, totals[month], active))
        return account, result

    def approximate_charges(
        self, account_id: str, channel_id: str, month: str, as_of: dt.date | None
    ) -> tuple[Account, str, int, int, int, int]:
        """(account, month, month-to-date, projection, days elapsed, days in month)."""
        with self._units() as uow:
            account = self.account(uow, account_id)
            now = EPOCH + dt.timedelta(milliseconds=self._clock.now_ms())
            today = as_of or account.today(now)
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
                spent = uow.queries.charges_micros(account_id, channel_id, first, to_date)
        projection = project_month_end(spent, elapsed, month_days)
        return account, month, spent, projection, elapsed, month_days

    def active_users(self, account_id: str, channel_id: str, start: dt.date, end: dt.date) -> int:
        _check_span(start, end, MAX_ACTIVE_RANGE_DAYS)
        with self._units() as uow:
            self.account(uow, account_id)
            return _active_users(uow, account_id, channel_id, start, end)


def _active_users(
    uow: UnitOfWork, account_id: str, channel_id: str, start: dt.date, end: dt.date
) -> int:
    """Distinct contacts with a delivered message either way on a day of the range."""
    return uow.queries.active_users(account_id, channel_id, month_masks(start, end))


def _add(totals: UsageTotals, row: DailyCounters) -> None:
    """Add one row of counters (rows on the account-wide channel '' hold none)."""
    if row.channel_id == ALL_CHANNELS:
        return
    totals.notifications_sent += row.notifications_sent
    totals.charges_micros += row.charges_micros
    if row.category:
        counts = totals.category(row.category)
        counts.paid_messages += row.paid_messages
        counts.free_messages += row.free_messages
        counts.paid_conversations += row.paid_conversations
        counts.free_conversations += row.free_conversations


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
