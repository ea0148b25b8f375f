"""Plans: the monthly fee, included active users, extra-user and notification prices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common import idempotency, validation
from services.common.errors import InvalidArgument, NotFound
from services.invoicing.adapters import tables

MAX_DISCOUNT_BASIS_POINTS = 10_000


class Plans:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, request: pb.CreatePlanRequest) -> pb.CreatePlanResponse:
        plan = request.plan
        validation.require_id(plan.plan_id, "plan.plan_id")
        validation.text(plan.name, "plan.name", required=True, max_length=200)
        currency = validation.currency(plan.monthly_fee.currency_code, "plan.monthly_fee")
        prices = {
            "plan.monthly_fee": plan.monthly_fee,
            "plan.price_per_extra_user": plan.price_per_extra_user,
            "plan.notification_fee": plan.notification_fee,
        }
        for field, price in prices.items():
            validation.amount(price.amount_micros, f"{field}.amount_micros")
            if price.currency_code not in ("", currency):
                raise InvalidArgument(f"{field}.currency_code", f"must be {currency}")
        validation.amount(plan.included_active_users, "plan.included_active_users")
        if plan.period_months not in (0, 1, 3, 6, 12):
            raise InvalidArgument("plan.period_months", "must be 1, 3, 6 or 12")
        if not 0 <= plan.discount_basis_points <= MAX_DISCOUNT_BASIS_POINTS:
            raise InvalidArgument("plan.discount_basis_points", "must be between 0 and 10000")
        key = request.idempotency_key or f"plan:{plan.plan_id}"

        def insert() -> pb.CreatePlanResponse:
            exists = connection.execute(
                sa.select(tables.plans.c.plan_id).where(tables.plans.c.plan_id == plan.plan_id)
            ).first()
            if exists is not None:
                raise InvalidArgument("plan.plan_id", f"plan {plan.plan_id!r} already exists")
            values = {
                "plan_id": plan.plan_id,
                "name": plan.name,
                "currency_code": currency,
                "monthly_fee_micros": plan.monthly_fee.amount_micros,
                "included_active_users": plan.included_active_users,
                "price_per_extra_user_micros": plan.price_per_extra_user.amount_micros,
                "notification_fee_micros": plan.notification_fee.amount_micros,
                "period_months": plan.period_months or 1,
                "discount_basis_points": plan.discount_basis_points,
                "prepaid_notifications": plan.prepaid_notifications,
            }
            connection.execute(tables.plans.insert().values(**values))
            return pb.CreatePlanResponse(plan=_plan_message(values))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "CreatePlan",
                key,
                request,
                pb.CreatePlanResponse,
                insert,
            )

    def get(self, request: pb.GetPlanRequest) -> pb.GetPlanResponse:
        validation.require_id(request.plan_id, "plan_id")
        query = sa.select(tables.plans).where(tables.plans.c.plan_id == request.plan_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise NotFound(f"plan {request.plan_id!r} not found", "plan_id")
        return pb.GetPlanResponse(plan=_plan_message(row._mapping))

    def list(self, request: pb.ListPlansRequest) -> pb.ListPlansResponse:
        limit, offset = validation.page(request.page_size, request.page_token)
        query = sa.select(tables.plans).order_by(tables.plans.c.plan_id).limit(limit).offset(offset)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return pb.ListPlansResponse(
            plans=[_plan_message(row._mapping) for row in rows],
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )


def _plan_message(values: Mapping[Any, Any]) -> invoice_pb2.Plan:
    currency = values["currency_code"]

    def money(micros: int) -> money_pb2.Money:
        return money_pb2.Money(currency_code=currency, amount_micros=micros)

    return invoice_pb2.Plan(
        plan_id=values["plan_id"],
        name=values["name"],
        monthly_fee=money(values["monthly_fee_micros"]),
        included_active_users=values["included_active_users"],
        price_per_extra_user=money(values["price_per_extra_user_micros"]),
        notification_fee=money(values["notification_fee_micros"]),
        period_months=values["period_months"],
        discount_basis_points=values["discount_basis_points"],
        prepaid_notifications=values["prepaid_notifications"],
    )
