"""Billing's requests as commands: fields checked (INVALID_ARGUMENT naming the field) and
turned into plain values."""

from __future__ import annotations

from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.common import idempotency, validation
from services.common.errors import InvalidArgument
from services.invoicing.service.commands.plans import CreatePlan, Page, Plan
from services.invoicing.service.commands.subscriptions import (
    CancelSubscription,
    CreateSubscription,
)
from services.invoicing.service.plans import MAX_DISCOUNT_BASIS_POINTS
from services.invoicing.service.subscriptions import EARLIEST_START


def page(page_size: int, page_token: str) -> Page:
    limit, offset = validation.page(page_size, page_token)
    return Page(limit, offset)


def create_plan(request: pb.CreatePlanRequest) -> CreatePlan:
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
    created = Plan(
        plan_id=plan.plan_id,
        name=plan.name,
        currency_code=currency,
        monthly_fee_micros=plan.monthly_fee.amount_micros,
        included_active_users=plan.included_active_users,
        price_per_extra_user_micros=plan.price_per_extra_user.amount_micros,
        notification_fee_micros=plan.notification_fee.amount_micros,
        period_months=plan.period_months or 1,
        discount_basis_points=plan.discount_basis_points,
        prepaid_notifications=plan.prepaid_notifications,
    )
    key = request.idempotency_key or f"plan:{plan.plan_id}"
    return CreatePlan(created, key, idempotency.fingerprint(request))


def create_subscription(request: pb.CreateSubscriptionRequest) -> CreateSubscription:
    account_id = validation.require_id(request.account_id, "account_id")
    plan_id = validation.require_id(request.plan_id, "plan_id")
    validation.optional_id(request.channel_id, "channel_id")
    validation.optional_id(request.subscription_id, "subscription_id")
    start = validation.date(request.start_date, "start_date")
    if start < EARLIEST_START:
        raise InvalidArgument("start_date", f"must be on or after {EARLIEST_START}")
    if not request.subscription_id and not request.idempotency_key:
        raise InvalidArgument("idempotency_key", "is required when no subscription_id is given")
    return CreateSubscription(
        account_id=account_id,
        plan_id=plan_id,
        channel_id=request.channel_id,
        subscription_id=request.subscription_id,
        start_date=start,
        idempotency_key=request.idempotency_key,
        request_sha256=idempotency.fingerprint(request),
    )


def cancel_subscription(request: pb.CancelSubscriptionRequest) -> CancelSubscription:
    account_id = validation.require_id(request.account_id, "account_id")
    subscription_id = validation.require_id(request.subscription_id, "subscription_id")
    cancel_date = (
        validation.date(request.cancel_date, "cancel_date") if request.cancel_date else None
    )
    return CancelSubscription(
        account_id=account_id,
        subscription_id=subscription_id,
        cancel_date=cancel_date,
        immediately=request.immediately,
        idempotency_key=request.idempotency_key,
        request_sha256=idempotency.fingerprint(request),
    )
