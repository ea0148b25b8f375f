"""Subscriptions: a plan for an account from a start date, billed on its anchor day.

Cancelling keeps service to the end of the cycle that contains the cancel date (the default),
or ends it on the cancel date (`immediately`, the last cycle's fee prorated by days). Either
way the subscription is CANCELLED at once, shows its end_date, and its last cycle is billed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.invoicing.domain import cycles
from services.invoicing.service import guards, ids
from services.invoicing.service.commands.plans import Page
from services.invoicing.service.commands.subscriptions import (
    CancelSubscription,
    CreateSubscription,
    Subscription,
    SubscriptionDetails,
)
from services.invoicing.service.ports import Wallet
from services.invoicing.service.ports.billing import BillingWork, BillingWorks

ACTIVE = "active"
CANCELLED = "cancelled"
EARLIEST_START = dt.date(2020, 1, 1)


def next_cycle(subscription: Subscription, months: int) -> cycles.Cycle | None:
    """The first cycle not invoiced yet, or None when the subscription has ended and is billed."""
    start, billed = subscription.start_date, subscription.cycles_billed
    upcoming = cycles.cycle(start, billed, months)
    end = subscription.end_date
    if end is None:
        return upcoming
    if end < upcoming.start:
        return None
    return cycles.cycle(start, billed, months, end)


def details(subscription: Subscription, months: int) -> SubscriptionDetails:
    upcoming = next_cycle(subscription, months)
    return SubscriptionDetails(
        subscription_id=subscription.subscription_id,
        account_id=subscription.account_id,
        plan_id=subscription.plan_id,
        status=subscription.status,
        anchor_day=subscription.start_date.day,
        start_date=subscription.start_date,
        current_cycle_start=upcoming.start if upcoming else None,
        next_billing_date=upcoming.billing_date if upcoming else None,
        cancel_time=subscription.cancel_time,
        channel_id=subscription.channel_id,
        end_date=subscription.end_date,
        cycles_billed=subscription.cycles_billed,
    )


class Subscriptions:
    def __init__(self, works: BillingWorks, clock: Clock, wallet: Wallet) -> None:
        self._works = works
        self._clock = clock
        self._wallet = wallet

    def create(self, command: CreateSubscription) -> SubscriptionDetails:
        account_id, plan_id = command.account_id, command.plan_id
        key = command.idempotency_key or f"subscription:{command.subscription_id}"
        subscription_id = command.subscription_id or ids.derived_id("sub", f"{account_id}/{key}")
        currency = self._wallet.account_terms(account_id).currency_code  # NotFound: none such

        def insert(work: BillingWork) -> SubscriptionDetails:
            plan = work.subscriptions.plan_terms(plan_id)
            if plan is None:
                raise NotFound(f"plan {plan_id!r} not found", "plan_id")
            months, plan_currency = plan
            if plan_currency != currency:
                raise InvalidArgument(
                    "plan_id",
                    f"the plan is priced in {plan_currency}; the account bills in {currency}",
                )
            if work.subscriptions.exists(subscription_id):
                raise AlreadyExists(f"subscription {subscription_id!r} exists", "subscription_id")
            subscription = Subscription(
                subscription_id=subscription_id,
                account_id=account_id,
                plan_id=plan_id,
                channel_id=command.channel_id,
                status=ACTIVE,
                start_date=command.start_date,
            )
            work.subscriptions.add(subscription)
            return details(subscription, months)

        with self._works() as work:
            created = replies.once(
                work.subscriptions_created,
                "CreateSubscription",
                guards.account_key(account_id, key),
                command.request_sha256,
                lambda: insert(work),
            )
            work.commit()
        return created

    def get(self, account_id: str, subscription_id: str) -> SubscriptionDetails:
        with self._works() as work:
            subscription = _load(work, account_id, subscription_id)
            return details(subscription, work.subscriptions.period_months(subscription.plan_id))

    def list(self, account_id: str, page: Page) -> list[SubscriptionDetails]:
        with self._works() as work:
            found = work.subscriptions.page(account_id, page.limit, page.offset)
        return [details(subscription, months) for subscription, months in found]

    def cancel(self, command: CancelSubscription) -> SubscriptionDetails:
        subscription_id = command.subscription_id
        now = moment(self._clock)
        cancel_date = command.cancel_date or now.date()
        key = command.idempotency_key or f"cancel:{subscription_id}:{int(command.immediately)}"

        def cancel(work: BillingWork) -> SubscriptionDetails:
            subscription = _load(work, command.account_id, subscription_id)
            months = work.subscriptions.period_months(subscription.plan_id)
            if subscription.status == CANCELLED:
                raise FailedPrecondition(
                    f"already cancelled; service ends on {subscription.end_date}",
                    "subscription_id",
                )
            start = subscription.start_date
            upcoming = cycles.cycle(start, subscription.cycles_billed, months)
            if cancel_date < upcoming.start:
                raise InvalidArgument(
                    "cancel_date", f"the cycle before {upcoming.start} is already invoiced"
                )
            if command.immediately:
                end = cancel_date
            else:
                end = cycles.cycle_containing(start, cancel_date, months).end
            cancelled = replace(subscription, status=CANCELLED, end_date=end, cancel_time=now)
            work.subscriptions.cancel(cancelled, command.immediately)
            return details(cancelled, months)

        with self._works() as work:
            answer = replies.once(
                work.subscriptions_cancelled,
                "CancelSubscription",
                guards.account_key(command.account_id, key),
                command.request_sha256,
                lambda: cancel(work),
            )
            work.commit()
        return answer


def _load(work: BillingWork, account_id: str, subscription_id: str) -> Subscription:
    subscription = work.subscriptions.get(account_id, subscription_id)
    if subscription is None:
        raise NotFound(f"subscription {subscription_id!r} not found", "subscription_id")
    return subscription
