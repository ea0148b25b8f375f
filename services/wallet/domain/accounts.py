"""An account as the send path sees it: funding rules and pricing terms, plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pricing.money import apply_basis_points

ACTIVE = "active"
SUSPENDED = "suspended"
PREPAID = "prepaid"
SOFT_LIMIT = "soft"
POSTPAID = "postpaid"
SCOPE_ACCOUNT = "account"
SCOPE_CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class PriceTerms:
    overrides: tuple[tuple[str, str, int], ...]  # (market, category, price_micros)
    fee_per_message_micros: int
    markup_basis_points: int
    included_messages_per_month: int


@dataclass(frozen=True, slots=True)
class TopUpFeeRule:
    """The fee charged on top of a top-up: fixed, plus basis points of the amount (half up)."""

    basis_points: int
    fixed_micros: int

    def fee_micros(self, amount_micros: int) -> int:
        return self.fixed_micros + apply_basis_points(amount_micros, self.basis_points)


@dataclass(frozen=True, slots=True)
class AccountView:
    account_id: str
    version: int
    currency: str
    time_zone: str
    business_country: str
    funding_mode: str
    overdraft_limit_micros: int
    balance_scope: str
    status: str
    terms: PriceTerms
    auth_international_from: datetime | None
    auth_international_exceptions: frozenset[str]
    # None: the wallet's defaults apply (a low-balance threshold; a top-up fee rule).
    low_balance_threshold_micros: int | None = None
    top_up_fee: TopUpFeeRule | None = None
    credit_limit_micros: int = 0  # postpaid: how much may accrue unpaid

    def balance_channel(self, channel_id: str) -> str:
        """The channel whose balance pays: the sender's when funds are kept per number."""
        return channel_id if self.balance_scope == SCOPE_CHANNEL else ""

    @property
    def limit_micros(self) -> int:
        """How far below zero sends may take the balance: the soft limit's overdraft, or a
        postpaid account's credit limit; none for prepaid."""
        if self.funding_mode == SOFT_LIMIT:
            return self.overdraft_limit_micros
        if self.funding_mode == POSTPAID:
            return self.credit_limit_micros
        return 0

    @property
    def floor_micros(self) -> int:
        """The lowest balance sends may reach (charges applied after delivery may go lower:
        a debt)."""
        return -self.limit_micros

    @property
    def postpaid(self) -> bool:
        return self.funding_mode == POSTPAID
