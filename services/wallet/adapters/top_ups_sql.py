"""Top-ups and their reversals in SQL, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from services.wallet.adapters import tables
from services.wallet.service.commands.money import APPLIED, RECORDED, ReversalRecord, TopUpRecord
from services.wallet.service.ports.money import DuplicateKey


def ordered(
    columns: tuple[sa.ColumnElement[Any], ...], newest_first: bool
) -> list[sa.ColumnElement[Any]]:
    """A list's sort: the oldest first, or the newest first."""
    return [column.desc() if newest_first else column for column in columns]


def _top_up(row: RowMapping) -> TopUpRecord:
    return TopUpRecord(
        top_up_id=row["top_up_id"],
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        currency_code=row["currency_code"],
        amount_micros=row["amount_micros"],
        fee_micros=row["fee_micros"],
        state=row["state"],
        source=row["source"],
        idempotency_key=row["idempotency_key"],
        payment_reference=row["payment_reference"],
        created_ms=row["created_ms"],
    )


def _reversal(row: RowMapping) -> ReversalRecord:
    return ReversalRecord(
        reversal_id=row["reversal_id"],
        account_id=row["account_id"],
        channel_id=row["channel_id"],
        currency_code=row["currency_code"],
        top_up_id=row["top_up_id"],
        amount_micros=row["amount_micros"],
        fee_micros=row["fee_micros"],
        reason=row["reason"],
        idempotency_key=row["idempotency_key"],
        state=row["state"],
        created_ms=row["created_ms"],
    )


class SqlTopUps:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, account_id: str, idempotency_key: str) -> TopUpRecord | None:
        row = (
            self._connection.execute(
                sa.select(tables.top_ups).where(
                    tables.top_ups.c.account_id == account_id,
                    tables.top_ups.c.idempotency_key == idempotency_key,
                )
            )
            .mappings()
            .first()
        )
        return _top_up(row) if row is not None else None

    def credited_transfer(self, account_id: str, transfer_reference: str) -> TopUpRecord | None:
        table = tables.top_ups
        row = (
            self._connection.execute(
                sa.select(table).where(
                    table.c.account_id == account_id,
                    table.c.source == "bank_transfer",
                    table.c.payment_reference == transfer_reference,
                )
            )
            .mappings()
            .first()
        )
        return _top_up(row) if row is not None else None

    def add(self, record: TopUpRecord) -> None:
        values = {
            "top_up_id": record.top_up_id,
            "account_id": record.account_id,
            "channel_id": record.channel_id,
            "currency_code": record.currency_code,
            "amount_micros": record.amount_micros,
            "fee_micros": record.fee_micros,
            "state": record.state,
            "source": record.source,
            "idempotency_key": record.idempotency_key,
            "payment_reference": record.payment_reference,
            "created_ms": record.created_ms,
        }
        try:
            self._connection.execute(tables.top_ups.insert().values(**values))
        except IntegrityError as error:
            raise DuplicateKey(record.idempotency_key) from error

    def mark_applied(self, top_up_id: str, applied_ms: int) -> TopUpRecord:
        self._connection.execute(
            tables.top_ups.update()
            .where(tables.top_ups.c.top_up_id == top_up_id)
            .values(state=APPLIED, applied_ms=applied_ms)
        )
        return _top_up(
            self._connection.execute(
                sa.select(tables.top_ups).where(tables.top_ups.c.top_up_id == top_up_id)
            )
            .mappings()
            .one()
        )

    def recorded_before(self, cutoff_ms: int, limit: int) -> list[TopUpRecord]:
        rows = (
            self._connection.execute(
                sa.select(tables.top_ups)
                .where(tables.top_ups.c.state == RECORDED, tables.top_ups.c.created_ms <= cutoff_ms)
                .order_by(tables.top_ups.c.created_ms)
                .limit(limit)
            )
            .mappings()
            .all()
        )
        return [_top_up(row) for row in rows]

    def page(
        self, account_id: str, newest_first: bool, limit: int, offset: int
    ) -> list[TopUpRecord]:
        rows = (
            self._connection.execute(
                sa.select(tables.top_ups)
                .where(tables.top_ups.c.account_id == account_id)
                .order_by(
                    *ordered(
                        (tables.top_ups.c.created_ms, tables.top_ups.c.top_up_id), newest_first
                    )
                )
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        return [_top_up(row) for row in rows]


class SqlReversals:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, account_id: str, idempotency_key: str) -> ReversalRecord | None:
        table = tables.top_up_reversals
        row = (
            self._connection.execute(
                sa.select(table).where(
                    table.c.account_id == account_id,
                    table.c.idempotency_key == idempotency_key,
                )
            )
            .mappings()
            .first()
        )
        return _reversal(row) if row is not None else None

    def reversed_so_far(self, top_up_id: str) -> tuple[int, int]:
        table = tables.top_up_reversals
        before = self._connection.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(table.c.amount_micros), 0),
                sa.func.coalesce(sa.func.sum(table.c.fee_micros), 0),
            ).where(table.c.top_up_id == top_up_id)
        ).one()
        return int(before[0]), int(before[1])

    def add(self, record: ReversalRecord) -> ReversalRecord:
        table = tables.top_up_reversals
        values = {
            "reversal_id": record.reversal_id,
            "account_id": record.account_id,
            "channel_id": record.channel_id,
            "currency_code": record.currency_code,
            "top_up_id": record.top_up_id,
            "amount_micros": record.amount_micros,
            "fee_micros": record.fee_micros,
            "reason": record.reason,
            "idempotency_key": record.idempotency_key,
            "state": record.state,
            "created_ms": record.created_ms,
        }
        self._connection.execute(table.insert().values(**values))
        return self.read_back(record.reversal_id)

    def read_back(self, reversal_id: str) -> ReversalRecord:
        table = tables.top_up_reversals
        return _reversal(
            self._connection.execute(sa.select(table).where(table.c.reversal_id == reversal_id))
            .mappings()
            .one()
        )

    def mark_applied(self, reversal_id: str, applied_ms: int) -> ReversalRecord:
        table = tables.top_up_reversals
        self._connection.execute(
            table.update()
            .where(table.c.reversal_id == reversal_id)
            .values(state=APPLIED, applied_ms=applied_ms)
        )
        return self.read_back(reversal_id)

    def recorded_before(self, cutoff_ms: int, limit: int) -> list[ReversalRecord]:
        table = tables.top_up_reversals
        rows = (
            self._connection.execute(
                sa.select(table)
                .where(table.c.state == RECORDED, table.c.created_ms <= cutoff_ms)
                .order_by(table.c.created_ms)
                .limit(limit)
            )
            .mappings()
            .all()
        )
        return [_reversal(row) for row in rows]
