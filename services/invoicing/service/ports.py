"""What invoicing needs from outside, as narrow interfaces (adapters implement them).

Adapters raise services.common.errors.Unavailable when the other side cannot answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from services.invoicing.domain.lines import NotificationUsage


class UsageSource(Protocol):
    """Metering's usage figures for an account (dates in the account's time zone)."""

    def count_active_users(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> int: ...

    def notification_usage(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> NotificationUsage: ...


class Wallet(Protocol):
    def redeem_credits(
        self,
        account_id: str,
        invoice_id: str,
        currency_code: str,
        max_amount_micros: int,
        idempotency_key: str,
    ) -> int:
        """Spend credits that apply to notifications invoices; returns the micros redeemed."""
        ...

    def add_days(
        self, account_id: str, days: int, reference: str, idempotency_key: str
    ) -> None: ...


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    # The provider's charge id (approved or not).
    reference: str
    # Why it was declined, e.g. "card_declined: insufficient_funds".
    decline_reason: str = ""


class PaymentProvider(Protocol):
    def charge(
        self,
        provider_token: str,
        currency_code: str,
        amount_micros: int,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        """Charge a card once per idempotency_key; a retry answers the first result."""
        ...
