"""Subscriptions as the use cases take and answer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subscription:
    """A stored subscription."""

    subscription_id: str
    account_id: str
    plan_id: str
    channel_id: str
    status: str  # active | cancelled
    start_date: dt.date
    end_date: dt.date | None = None  # the last day of service, once cancelled
    cancel_time: dt.datetime | None = None
    cycles_billed: int = 0


@dataclass(frozen=True, slots=True)
class SubscriptionDetails:
    """A subscription as shown, with the cycle it bills next (None once all are billed)."""

    subscription_id: str
    account_id: str
    plan_id: str
    status: str
    anchor_day: int
    start_date: dt.date
    current_cycle_start: dt.date | None
    next_billing_date: dt.date | None
    cancel_time: dt.datetime | None
    channel_id: str
    end_date: dt.date | None
    cycles_billed: int


@dataclass(frozen=True, slots=True)
class CreateSubscription:
    account_id: str
    plan_id: str
    channel_id: str
    subscription_id: str  # empty: derived from the idempotency key
    start_date: dt.date
    idempotency_key: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class CancelSubscription:
    account_id: str
    subscription_id: str
    cancel_date: dt.date | None  # None: today (UTC)
    immediately: bool
    idempotency_key: str
    request_sha256: str
