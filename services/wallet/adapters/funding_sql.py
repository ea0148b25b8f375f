"""Funding terms over time in SQL: one row per account and day the terms take effect."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.wallet.adapters import tables
from services.wallet.service.commands.accounts import FundingChange


class SqlFundingRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def record(self, account_id: str, change: FundingChange, applied: bool, now_ms: int) -> None:
        t = tables.funding_modes
        effective = change.effective.isoformat()
        key = (t.c.account_id == account_id, t.c.effective_date == effective)
        self._connection.execute(t.delete().where(*key))
        self._connection.execute(
            t.insert().values(
                account_id=account_id,
                effective_date=effective,
                funding_mode=change.mode,
                limit_micros=change.limit_micros,
                applied=applied,
                created_ms=now_ms,
            )
        )

    def drop_scheduled_after(self, account_id: str, day: dt.date) -> None:
        t = tables.funding_modes
        self._connection.execute(
            t.delete().where(
                t.c.account_id == account_id,
                t.c.effective_date > day.isoformat(),
                t.c.applied.is_(False),
            )
        )

    def changes(self, account_id: str) -> list[FundingChange]:
        t = tables.funding_modes
        rows = self._connection.execute(
            sa.select(t.c.effective_date, t.c.funding_mode, t.c.limit_micros)
            .where(t.c.account_id == account_id)
            .order_by(t.c.effective_date)
        ).all()
        return [FundingChange(dt.date.fromisoformat(day), mode, limit) for day, mode, limit in rows]

    def due(self, through: dt.date, limit: int) -> list[tuple[str, dt.date]]:
        t = tables.funding_modes
        rows = self._connection.execute(
            sa.select(t.c.account_id, t.c.effective_date)
            .where(t.c.applied.is_(False), t.c.effective_date <= through.isoformat())
            .order_by(t.c.effective_date)
            .limit(limit)
        ).all()
        return [(account_id, dt.date.fromisoformat(day)) for account_id, day in rows]

    def scheduled(self, account_id: str, day: dt.date) -> FundingChange | None:
        t = tables.funding_modes
        row = self._connection.execute(
            sa.select(t.c.funding_mode, t.c.limit_micros).where(
                t.c.account_id == account_id,
                t.c.effective_date == day.isoformat(),
                t.c.applied.is_(False),
            )
        ).first()
        return FundingChange(day, row.funding_mode, row.limit_micros) if row else None
