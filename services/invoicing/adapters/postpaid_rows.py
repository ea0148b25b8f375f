"""Paid postpaid invoices' settlement with the wallet in SQL (invoicing_wallet_settlements,
and the invoice's wallet_settled_time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.invoicing.adapters import invoice_store, tables
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.domain.wallet_settlement import CHARGE_LINE_KIND, Movement
from services.invoicing.service.ports.postpaid import AlreadyPlanned, PostpaidInvoice


class SqlWalletSettlements:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def invoice(self, account_id: str, invoice_id: str) -> PostpaidInvoice | None:
        row = invoice_store.get(self._connection, account_id, invoice_id)
        return None if row is None else _invoice(row)

    def awaiting_settlement(self, limit: int) -> list[tuple[str, str]]:
        table = tables.invoices
        rows = self._connection.execute(
            sa.select(table.c.account_id, table.c.invoice_id)
            .where(
                table.c.kind == Kind.NOTIFICATIONS,
                table.c.status == Status.PAID,
                table.c.wallet_settled_time.is_(None),
            )
            .order_by(table.c.paid_time)
            .limit(limit)
        ).all()
        return [(row.account_id, row.invoice_id) for row in rows]

    def charges_micros(self, invoice_id: str) -> int:
        lines = tables.invoice_lines
        total = self._connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(lines.c.amount_micros), 0)).where(
                lines.c.invoice_id == invoice_id, lines.c.kind == CHARGE_LINE_KIND
            )
        ).scalar_one()
        return int(total)

    def planned(self, cause: str) -> bool:
        table = tables.wallet_settlements
        found = self._connection.execute(
            sa.select(table.c.movement_key).where(table.c.cause == cause).limit(1)
        ).first()
        return found is not None

    def history(self, invoice_id: str) -> list[Movement]:
        table = tables.wallet_settlements
        rows = self._connection.execute(
            sa.select(table)
            .where(table.c.invoice_id == invoice_id)
            .order_by(table.c.created_at, table.c.movement_key)
        ).all()
        return [_movement(row._mapping) for row in rows]

    def plan(self, invoice: PostpaidInvoice, movement: Movement) -> None:
        try:
            self._connection.execute(
                tables.wallet_settlements.insert().values(
                    movement_key=movement.movement_key,
                    invoice_id=invoice.invoice_id,
                    account_id=invoice.account_id,
                    kind=movement.kind,
                    top_up_key=movement.top_up_key,
                    cause=movement.cause,
                    amount_micros=movement.amount_micros,
                    done_time=None,
                )
            )
        except IntegrityError:
            raise AlreadyPlanned(movement.movement_key) from None

    def pending(self, invoice_id: str) -> list[Movement]:
        table = tables.wallet_settlements
        rows = self._connection.execute(
            sa.select(table)
            .where(table.c.invoice_id == invoice_id, table.c.done_time.is_(None))
            .order_by(table.c.kind, table.c.created_at, table.c.movement_key)
        ).all()
        return [_movement(row._mapping) for row in rows]

    def done(self, movement_key: str, done_at: dt.datetime) -> None:
        table = tables.wallet_settlements
        self._connection.execute(
            table.update().where(table.c.movement_key == movement_key).values(done_time=done_at)
        )

    def settled(self, invoice_id: str, settled_at: dt.datetime) -> None:
        table = tables.invoices
        self._connection.execute(
            table.update()
            .where(
                table.c.invoice_id == invoice_id,
                table.c.status == Status.PAID,
                table.c.wallet_settled_time.is_(None),
            )
            .values(wallet_settled_time=settled_at)
        )

    def owed_again(self, invoice_id: str) -> None:
        table = tables.invoices
        self._connection.execute(
            table.update().where(table.c.invoice_id == invoice_id).values(wallet_settled_time=None)
        )

    def channel_of(self, subscription_id: str | None) -> str:
        subscriptions = tables.subscriptions
        channel = self._connection.execute(
            sa.select(subscriptions.c.channel_id).where(
                subscriptions.c.subscription_id == subscription_id
            )
        ).scalar()
        return str(channel or "")


def _invoice(row: Mapping[Any, Any]) -> PostpaidInvoice:
    return PostpaidInvoice(
        invoice_id=row["invoice_id"],
        account_id=row["account_id"],
        kind=row["kind"],
        status=row["status"],
        currency_code=row["currency_code"],
        number=row["number"] or "",
        subscription_id=row["subscription_id"],
        total_micros=row["total_micros"],
        wallet_settled=row["wallet_settled_time"] is not None,
    )


def _movement(row: Mapping[Any, Any]) -> Movement:
    return Movement(
        movement_key=row["movement_key"],
        kind=row["kind"],
        top_up_key=row["top_up_key"],
        cause=row["cause"],
        amount_micros=row["amount_micros"],
    )
