"""What was charged over a range of delivery dates, grouped as invoice lines: per category,
market and unit price, so that quantity x unit price = amount exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.common.errors import InvalidArgument, NotFound
from services.metering.domain.accounts import Account, zone
from services.metering.service.ports import UnitsOfWork

MAX_RANGE_DAYS = 3_660


@dataclass(frozen=True, slots=True)
class ChargeLine:
    category: str
    market: str
    unit_price_micros: int
    quantity: int

    @property
    def amount_micros(self) -> int:
        return self.unit_price_micros * self.quantity


class ChargeSummary:
    def __init__(self, units: UnitsOfWork) -> None:
        self._units = units

    def lines(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> tuple[Account, list[ChargeLine]]:
        if end < start:
            raise InvalidArgument("to_date", "must not be before from_date")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise InvalidArgument("to_date", f"a range covers at most {MAX_RANGE_DAYS} days")
        with self._units() as uow:
            account = uow.records.load_accounts([account_id]).get(account_id)
            if account is None:
                raise NotFound(f"account {account_id!r} not found", "account_id")
            start_us, end_us = _span_us(account, start, end)
            rows = uow.queries.charge_lines(account_id, channel_id, start_us, end_us)
        return account, [ChargeLine(*row) for row in rows]


def _span_us(account: Account, start: dt.date, end: dt.date) -> tuple[int, int]:
    """[first instant of `start`, first instant after `end`) in the account's time zone."""
    where = zone(account.time_zone)
    first = dt.datetime.combine(start, dt.time(), where)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), where)
    return int(first.timestamp()) * 1_000_000, int(after.timestamp()) * 1_000_000
