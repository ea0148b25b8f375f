"""The message revenue's reading of the ledger, reservations and charges in SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.unit_of_work import SqlTransaction
from services.wallet.adapters import tables
from services.wallet.service.ports.revenue import RevenueLeg, RevenueRecords


class SqlRevenueRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def legs(
        self, account_id: str, revenue_accounts: str, from_ms: int, until_ms: int
    ) -> list[RevenueLeg]:
        e = tables.ledger_entries.c
        rows = self._connection.execute(
            sa.select(e.kind, e.reference, e.created_ms, e.credit_micros - e.debit_micros).where(
                e.account_id == account_id,
                e.ledger_account.like(revenue_accounts),
                e.created_ms >= from_ms,
                e.created_ms < until_ms,
            )
        ).all()
        return [RevenueLeg(kind, reference, at, micros) for kind, reference, at, micros in rows]

    def messages_of(self, reservation_ids: Sequence[str]) -> dict[str, str]:
        r = tables.reservations.c
        rows = self._connection.execute(
            sa.select(r.reservation_id, r.message_id).where(r.reservation_id.in_(reservation_ids))
        ).all()
        return {reservation_id: message_id for reservation_id, message_id in rows}

    def delivered(self, account_id: str, message_ids: Sequence[str]) -> dict[str, int]:
        c = tables.charges.c
        rows = self._connection.execute(
            sa.select(c.message_id, c.occur_ms).where(
                c.account_id == account_id, c.message_id.in_(message_ids)
            )
        ).all()
        return {message_id: occur_ms for message_id, occur_ms in rows}


class RevenueUnitOfWork(SqlTransaction):
    revenue: RevenueRecords

    def _bind(self, connection: Connection) -> None:
        self.revenue = SqlRevenueRecords(connection)


def revenue_work(engine: Engine) -> Callable[[], RevenueUnitOfWork]:
    return lambda: RevenueUnitOfWork(engine)
