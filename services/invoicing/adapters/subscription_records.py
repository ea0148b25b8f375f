"""Subscriptions in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.invoicing.adapters import invoice_events, tables
from services.invoicing.adapters.invoice_store import as_utc
from services.invoicing.service.commands.subscriptions import Subscription


class SqlSubscriptionRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def plan_terms(self, plan_id: str) -> tuple[int, str] | None:
        plans = tables.plans
        plan = self._connection.execute(
            sa.select(plans.c.period_months, plans.c.currency_code).where(
                plans.c.plan_id == plan_id
            )
        ).first()
        return None if plan is None else (int(plan.period_months), plan.currency_code)

    def period_months(self, plan_id: str) -> int:
        value = self._connection.execute(
            sa.select(tables.plans.c.period_months).where(tables.plans.c.plan_id == plan_id)
        ).scalar_one()
        return int(value)

    def exists(self, subscription_id: str) -> bool:
        table = tables.subscriptions
        taken = self._connection.execute(
            sa.select(table.c.subscription_id).where(table.c.subscription_id == subscription_id)
        ).first()
        return taken is not None

    def add(self, subscription: Subscription) -> None:
        self._connection.execute(
            tables.subscriptions.insert().values(
                subscription_id=subscription.subscription_id,
                account_id=subscription.account_id,
                plan_id=subscription.plan_id,
                channel_id=subscription.channel_id,
                status=subscription.status,
                start_date=subscription.start_date,
                end_date=subscription.end_date,
                cancel_time=subscription.cancel_time,
                cycles_billed=subscription.cycles_billed,
            )
        )

    def get(self, account_id: str, subscription_id: str) -> Subscription | None:
        table = tables.subscriptions
        row = self._connection.execute(
            sa.select(table).where(
                table.c.subscription_id == subscription_id, table.c.account_id == account_id
            )
        ).first()
        return None if row is None else subscription(row._mapping)

    def page(self, account_id: str, limit: int, offset: int) -> list[tuple[Subscription, int]]:
        table = tables.subscriptions
        query = (
            sa.select(table, tables.plans.c.period_months)
            .join(tables.plans, tables.plans.c.plan_id == table.c.plan_id)
            .where(table.c.account_id == account_id)
            .order_by(table.c.created_at, table.c.subscription_id)
            .limit(limit)
            .offset(offset)
        )
        rows = [row._mapping for row in self._connection.execute(query).all()]
        return [(subscription(row), row["period_months"]) for row in rows]

    def batch(self, after: str, limit: int, account_id: str) -> list[Subscription]:
        table = tables.subscriptions
        query = (
            sa.select(table)
            .where(table.c.subscription_id > after)
            .order_by(table.c.subscription_id)
            .limit(limit)
        )
        if account_id:
            query = query.where(table.c.account_id == account_id)
        return [subscription(row._mapping) for row in self._connection.execute(query).all()]

    def advance(self, subscription_id: str, index: int) -> None:
        table = tables.subscriptions
        self._connection.execute(
            table.update()
            .where(table.c.subscription_id == subscription_id, table.c.cycles_billed == index)
            .values(cycles_billed=index + 1)
        )

    def cancel(self, subscription: Subscription, immediately: bool) -> None:
        table = tables.subscriptions
        end = subscription.end_date
        if end is None:
            raise ValueError("a cancelled subscription has its last day")
        if subscription.cancel_time is None:
            raise ValueError("a cancelled subscription has its cancel time")
        self._connection.execute(
            table.update()
            .where(table.c.subscription_id == subscription.subscription_id)
            .values(status=subscription.status, end_date=end, cancel_time=subscription.cancel_time)
        )
        row = {
            "subscription_id": subscription.subscription_id,
            "account_id": subscription.account_id,
            "plan_id": subscription.plan_id,
        }
        invoice_events.subscription_cancelled(
            self._connection, row, end, immediately, subscription.cancel_time
        )


def subscription(row: Mapping[Any, Any]) -> Subscription:
    return Subscription(
        subscription_id=row["subscription_id"],
        account_id=row["account_id"],
        plan_id=row["plan_id"],
        channel_id=row["channel_id"],
        status=row["status"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        cancel_time=as_utc(row["cancel_time"]),
        cycles_billed=row["cycles_billed"],
    )
