"""Fundings' quotes and moves in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.invoicing.adapters import tables
from services.invoicing.service.commands.payments import FundsQuote


class SqlFundingQuotes:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, account_id: str, quote_id: str) -> FundsQuote | None:
        quotes = tables.fund_quotes
        row = self._connection.execute(
            sa.select(quotes).where(
                quotes.c.quote_id == quote_id, quotes.c.account_id == account_id
            )
        ).first()
        if row is None:
            return None
        # SQLite hands timestamps back naive; they were written in UTC.
        expire_at = row.expire_at if row.expire_at.tzinfo else row.expire_at.replace(tzinfo=dt.UTC)
        return FundsQuote(
            quote_id=row.quote_id,
            account_id=row.account_id,
            channel_id=row.channel_id,
            display_phone_number=row.display_phone_number,
            currency_code=row.currency_code,
            amount_micros=row.amount_micros,
            fee_micros=row.fee_micros,
            expire_at=expire_at,
        )


class SqlFundingMoves:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def move(
        self,
        funding_id: str,
        before: tuple[str, ...],
        after: str,
        values: Mapping[str, Any],
        moved_at: dt.datetime,
    ) -> bool:
        table = tables.fundings
        moved = self._connection.execute(
            table.update()
            .where(table.c.funding_id == funding_id, table.c.state.in_(before))
            .values(state=after, updated_at=moved_at, **values)
        ).rowcount
        return bool(moved)
