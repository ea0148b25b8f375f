"""Plans as the use cases take and answer them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan: prices in micros of its one currency."""

    plan_id: str
    name: str
    currency_code: str
    monthly_fee_micros: int
    included_active_users: int
    price_per_extra_user_micros: int
    notification_fee_micros: int
    period_months: int
    discount_basis_points: int
    prepaid_notifications: bool


@dataclass(frozen=True, slots=True)
class CreatePlan:
    plan: Plan
    idempotency_key: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class Page:
    """Where a listing starts and how many rows it takes."""

    limit: int
    offset: int
