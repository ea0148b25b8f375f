"""Partner contracts and their changes of billing in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.invoicing.adapters import tables
from services.invoicing.adapters.invoice_store import as_utc
from services.invoicing.adapters.upserts import upsert
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.domain.partner_terms import BillingChange
from services.invoicing.service.commands.partners import PartnerContract


class SqlPartnerContractRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def lock(self, account_id: str) -> None:
        # A no-op UPDATE: the row's lock on PostgreSQL, the database's write lock on SQLite.
        table = tables.partner_contracts
        self._connection.execute(
            table.update()
            .where(table.c.account_id == account_id)
            .values(cycles_billed=table.c.cycles_billed)
        )

    def get(self, account_id: str) -> PartnerContract | None:
        table = tables.partner_contracts
        row = self._connection.execute(
            sa.select(table).where(table.c.account_id == account_id)
        ).first()
        return None if row is None else contract(row._mapping)

    def billing_changes(self, account_id: str) -> list[BillingChange]:
        table = tables.partner_billing_changes
        rows = self._connection.execute(
            sa.select(table.c.billing, table.c.from_cycle)
            .where(table.c.account_id == account_id)
            .order_by(table.c.id)
        ).all()
        return [BillingChange(row.billing, row.from_cycle) for row in rows]

    def holds_days(self, account_id: str) -> bool:
        table = tables.invoices
        found = self._connection.execute(
            sa.select(table.c.invoice_id)
            .where(
                table.c.account_id == account_id,
                table.c.kind == Kind.PARTNER_DAYS,
                table.c.days > 0,
                table.c.status != Status.VOID,
            )
            .limit(1)
        ).first()
        return found is not None

    def scheduled(self, after: str, limit: int, account_id: str) -> list[PartnerContract]:
        table = tables.partner_contracts
        query = (
            sa.select(table)
            .where(table.c.start_date.is_not(None), table.c.account_id > after)
            .order_by(table.c.account_id)
            .limit(limit)
        )
        if account_id:
            query = query.where(table.c.account_id == account_id)
        return [contract(row._mapping) for row in self._connection.execute(query).all()]

    def advance(self, account_id: str, index: int) -> None:
        table = tables.partner_contracts
        self._connection.execute(
            table.update()
            .where(table.c.account_id == account_id, table.c.cycles_billed == index)
            .values(cycles_billed=index + 1)
        )

    def save(self, contract: PartnerContract, change: BillingChange | None) -> None:
        table = tables.partner_contracts
        account_id = contract.account_id
        values = {
            "currency_code": contract.currency_code,
            "price_per_channel_month_micros": contract.price_per_channel_month_micros,
            "updated_at": contract.updated_at,
            "start_date": contract.start_date,
        }
        where = table.c.account_id == account_id
        upsert(self._connection, table, where, {"account_id": account_id}, values)
        if change is not None:
            self._connection.execute(
                tables.partner_billing_changes.insert().values(
                    account_id=account_id, billing=change.billing, from_cycle=change.from_cycle
                )
            )


def contract(row: Mapping[Any, Any]) -> PartnerContract:
    updated_at = as_utc(row["updated_at"])
    if updated_at is None:
        raise ValueError("a partner contract without its update time")
    return PartnerContract(
        account_id=row["account_id"],
        currency_code=row["currency_code"],
        price_per_channel_month_micros=row["price_per_channel_month_micros"],
        updated_at=updated_at,
        start_date=row["start_date"],
        cycles_billed=row["cycles_billed"],
    )
