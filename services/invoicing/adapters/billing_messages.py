"""Billing's plain values as the contract's messages, and back (for stored answers)."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.invoicing.service.commands.plans import Plan


def money(currency_code: str, amount_micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros)


def plan(value: Plan) -> invoice_pb2.Plan:
    currency = value.currency_code
    return invoice_pb2.Plan(
        plan_id=value.plan_id,
        name=value.name,
        monthly_fee=money(currency, value.monthly_fee_micros),
        included_active_users=value.included_active_users,
        price_per_extra_user=money(currency, value.price_per_extra_user_micros),
        notification_fee=money(currency, value.notification_fee_micros),
        period_months=value.period_months,
        discount_basis_points=value.discount_basis_points,
        prepaid_notifications=value.prepaid_notifications,
    )


def plan_of(message: invoice_pb2.Plan) -> Plan:
    return Plan(
        plan_id=message.plan_id,
        name=message.name,
        currency_code=message.monthly_fee.currency_code,
        monthly_fee_micros=message.monthly_fee.amount_micros,
        included_active_users=message.included_active_users,
        price_per_extra_user_micros=message.price_per_extra_user.amount_micros,
        notification_fee_micros=message.notification_fee.amount_micros,
        period_months=message.period_months,
        discount_basis_points=message.discount_basis_points,
        prepaid_notifications=message.prepaid_notifications,
    )


def encode_created_plan(value: Plan) -> bytes:
    return pb.CreatePlanResponse(plan=plan(value)).SerializeToString(deterministic=True)


def decode_created_plan(stored: bytes) -> Plan:
    return plan_of(pb.CreatePlanResponse.FromString(stored).plan)
