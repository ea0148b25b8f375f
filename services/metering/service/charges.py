"""What was charged over a range of delivery dates, grouped as invoice lines: per category,
market and unit price, so that quantity x unit price = amount exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.errors import InvalidArgument, NotFound
from services.metering.adapters import repository, tables
from services.metering.domain.accounts import Account, zone

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
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def lines(
        self, account_id: str, channel_id: str, start: dt.date, end: dt.date
    ) -> tuple[Account, list[ChargeLine]]:
        if end < start:
            raise InvalidArgument("to_date", "must not be before from_date")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise InvalidArgument("to_date", f"a range covers at most {MAX_RANGE_DAYS} days")
        t = tables.messages
        with self._engine.connect() as connection:
            account = repository.load_accounts(connection, [account_id]).get(account_id)
            if account is None:
                raise NotFound(f"account {account_id!r} not found", "account_id")
            start_us, end_us = _span_us(account, start, end)
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
            rows = connection.execute(query).all()
        return account, [ChargeLine(row[0], row[1], int(row[2]), int(row[3])) for row in rows]


def _span_us(account: Account, start: dt.date, end: dt.date) -> tuple[int, int]:
    """[first instant of `start`, first instant after `end`) in the account's time zone."""
    where = zone(account.time_zone)
    first = dt.datetime.combine(start, dt.time(), where)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), where)
    return int(first.timestamp()) * 1_000_000, int(after.timestamp()) * 1_000_000
