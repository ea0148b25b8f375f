"""Plans in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.invoicing.adapters import tables
from services.invoicing.service.commands.plans import Plan


class SqlPlanRecords:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def exists(self, plan_id: str) -> bool:
        found = self._connection.execute(
            sa.select(tables.plans.c.plan_id).where(tables.plans.c.plan_id == plan_id)
        ).first()
        return found is not None

    def add(self, plan: Plan) -> None:
        self._connection.execute(tables.plans.insert().values(**asdict(plan)))

    def get(self, plan_id: str) -> Plan | None:
        query = sa.select(tables.plans).where(tables.plans.c.plan_id == plan_id)
        row = self._connection.execute(query).first()
        return None if row is None else plan(row._mapping)

    def page(self, limit: int, offset: int) -> list[Plan]:
        query = sa.select(tables.plans).order_by(tables.plans.c.plan_id).limit(limit).offset(offset)
        return [plan(row._mapping) for row in self._connection.execute(query).all()]

    def many(self, plan_ids: set[str]) -> dict[str, Plan]:
        rows = self._connection.execute(
            sa.select(tables.plans).where(tables.plans.c.plan_id.in_(plan_ids))
        ).all()
        return {row.plan_id: plan(row._mapping) for row in rows}


def plan(row: Mapping[Any, Any]) -> Plan:
    return Plan(
        plan_id=row["plan_id"],
        name=row["name"],
        currency_code=row["currency_code"],
        monthly_fee_micros=row["monthly_fee_micros"],
        included_active_users=row["included_active_users"],
        price_per_extra_user_micros=row["price_per_extra_user_micros"],
        notification_fee_micros=row["notification_fee_micros"],
        period_months=row["period_months"],
        discount_basis_points=row["discount_basis_points"],
        prepaid_notifications=row["prepaid_notifications"],
    )
