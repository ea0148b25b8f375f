"""Subscriptions: a plan for an account from a start date, billed on its anchor day.

Cancelling keeps service to the end of the cycle that contains the cancel date (the default),
or ends it on the cancel date (`immediately`, the last cycle's fee prorated by days). Either
way the subscription is CANCELLED at once, shows its end_date, and its last cycle is billed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, validation
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.adapters import invoice_events, tables
from services.invoicing.domain import cycles
from services.invoicing.service import guards, ids, messages
from services.invoicing.service.ports import Wallet
from services.invoicing.service.settings import Clock

ACTIVE = "active"
CANCELLED = "cancelled"
STATUS_TO_PB = {
    ACTIVE: invoice_pb2.SUBSCRIPTION_STATUS_ACTIVE,
    CANCELLED: invoice_pb2.SUBSCRIPTION_STATUS_CANCELLED,
}
EARLIEST_START = dt.date(2020, 1, 1)

Row = Mapping[Any, Any]


def period_months(connection: Connection, plan_id: str) -> int:
    value = connection.execute(
        sa.select(tables.plans.c.period_months).where(tables.plans.c.plan_id == plan_id)
    ).scalar_one()
    return int(value)


def next_cycle(row: Row, months: int) -> cycles.Cycle | None:
    """The first cycle not invoiced yet, or None when the subscription has ended and is billed."""
    upcoming = cycles.cycle(row["start_date"], row["cycles_billed"], months)
    end = row["end_date"]
    if end is None:
        return upcoming
    if end < upcoming.start:
        return None
    return cycles.cycle(row["start_date"], row["cycles_billed"], months, end)


def message(row: Row, months: int) -> invoice_pb2.Subscription:
    upcoming = next_cycle(row, months)
    return invoice_pb2.Subscription(
        subscription_id=row["subscription_id"],
        account_id=row["account_id"],
        plan_id=row["plan_id"],
        status=STATUS_TO_PB[row["status"]],
        anchor_day=row["start_date"].day,
        start_date=row["start_date"].isoformat(),
        current_cycle_start_date=upcoming.start.isoformat() if upcoming else "",
        next_billing_date=upcoming.billing_date.isoformat() if upcoming else "",
        cancel_time=messages.timestamp(row["cancel_time"]),
        channel_id=row["channel_id"],
        end_date=messages.date_text(row["end_date"]),
        cycles_billed=row["cycles_billed"],
    )


class Subscriptions:
    def __init__(self, engine: Engine, clock: Clock, wallet: Wallet) -> None:
        self._engine = engine
        self._clock = clock
        self._wallet = wallet

    def create(self, request: pb.CreateSubscriptionRequest) -> pb.CreateSubscriptionResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        plan_id = validation.require_id(request.plan_id, "plan_id")
        validation.optional_id(request.channel_id, "channel_id")
        validation.optional_id(request.subscription_id, "subscription_id")
        start = validation.date(request.start_date, "start_date")
        if start < EARLIEST_START:
            raise InvalidArgument("start_date", f"must be on or after {EARLIEST_START}")
        if not request.subscription_id and not request.idempotency_key:
            raise InvalidArgument("idempotency_key", "is required when no subscription_id is given")
        key = request.idempotency_key or f"subscription:{request.subscription_id}"
        subscription_id = request.subscription_id or (ids.derived_id("sub", f"{account_id}/{key}"))
        table = tables.subscriptions
        currency = self._wallet.account_terms(account_id).currency_code  # NotFound: none such

        def insert() -> pb.CreateSubscriptionResponse:
            plan = connection.execute(
                sa.select(tables.plans.c.period_months, tables.plans.c.currency_code).where(
                    tables.plans.c.plan_id == plan_id
                )
            ).first()
            if plan is None:
                raise NotFound(f"plan {plan_id!r} not found", "plan_id")
            months = plan.period_months
            if plan.currency_code != currency:
                raise InvalidArgument(
                    "plan_id",
                    f"the plan is priced in {plan.currency_code}; the account bills in {currency}",
                )
            taken = connection.execute(
                sa.select(table.c.subscription_id).where(table.c.subscription_id == subscription_id)
            ).first()
            if taken is not None:
                raise AlreadyExists(f"subscription {subscription_id!r} exists", "subscription_id")
            values = {
                "subscription_id": subscription_id,
                "account_id": account_id,
                "plan_id": plan_id,
                "channel_id": request.channel_id,
                "status": ACTIVE,
                "start_date": start,
                "end_date": None,
                "cancel_time": None,
                "cycles_billed": 0,
            }
            connection.execute(table.insert().values(**values))
            return pb.CreateSubscriptionResponse(subscription=message(values, int(months)))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "CreateSubscription",
                guards.account_key(account_id, key),
                request,
                pb.CreateSubscriptionResponse,
                insert,
            )

    def get(self, request: pb.GetSubscriptionRequest) -> pb.GetSubscriptionResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        subscription_id = validation.require_id(request.subscription_id, "subscription_id")
        with self._engine.connect() as connection:
            row = self._load(connection, account_id, subscription_id)
            return pb.GetSubscriptionResponse(
                subscription=message(row, period_months(connection, row["plan_id"]))
            )

    def list(self, request: pb.ListSubscriptionsRequest) -> pb.ListSubscriptionsResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        limit, offset = validation.page(request.page_size, request.page_token)
        table = tables.subscriptions
        query = (
            sa.select(table, tables.plans.c.period_months)
            .join(tables.plans, tables.plans.c.plan_id == table.c.plan_id)
            .where(table.c.account_id == account_id)
            .order_by(table.c.created_at, table.c.subscription_id)
            .limit(limit)
            .offset(offset)
        )
        with self._engine.connect() as connection:
            rows = [row._mapping for row in connection.execute(query).all()]
        return pb.ListSubscriptionsResponse(
            subscriptions=[message(row, row["period_months"]) for row in rows],
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def cancel(self, request: pb.CancelSubscriptionRequest) -> pb.CancelSubscriptionResponse:
        account_id = validation.require_id(request.account_id, "account_id")
        subscription_id = validation.require_id(request.subscription_id, "subscription_id")
        now = self._clock()
        cancel_date = (
            validation.date(request.cancel_date, "cancel_date")
            if request.cancel_date
            else now.date()
        )
        key = request.idempotency_key or f"cancel:{subscription_id}:{int(request.immediately)}"

        def cancel() -> pb.CancelSubscriptionResponse:
            row = self._load(connection, account_id, subscription_id)
            months = period_months(connection, row["plan_id"])
            if row["status"] == CANCELLED:
                raise FailedPrecondition(
                    f"already cancelled; service ends on {row['end_date']}", "subscription_id"
                )
            upcoming = cycles.cycle(row["start_date"], row["cycles_billed"], months)
            if cancel_date < upcoming.start:
                raise InvalidArgument(
                    "cancel_date", f"the cycle before {upcoming.start} is already invoiced"
                )
            if request.immediately:
                end = cancel_date
            else:
                end = cycles.cycle_containing(row["start_date"], cancel_date, months).end
            values = {"status": CANCELLED, "end_date": end, "cancel_time": now}
            table = tables.subscriptions
            connection.execute(
                table.update().where(table.c.subscription_id == subscription_id).values(**values)
            )
            invoice_events.subscription_cancelled(connection, row, end, request.immediately)
            return pb.CancelSubscriptionResponse(subscription=message({**row, **values}, months))

        with self._engine.begin() as connection:
            return idempotency.once(
                connection,
                tables.idempotency_keys,
                "CancelSubscription",
                guards.account_key(account_id, key),
                request,
                pb.CancelSubscriptionResponse,
                cancel,
            )

    def _load(self, connection: Connection, account_id: str, subscription_id: str) -> Row:
        table = tables.subscriptions
        row = connection.execute(
            sa.select(table).where(
                table.c.subscription_id == subscription_id, table.c.account_id == account_id
            )
        ).first()
        if row is None:
            raise NotFound(f"subscription {subscription_id!r} not found", "subscription_id")
        return row._mapping
