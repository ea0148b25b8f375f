"""What invoicing needs from outside, as narrow interfaces (adapters implement them): the
other services here, and per area (one module each) units of work with their repositories.

Adapters raise services.common.errors.Unavailable when the other side cannot answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from services.invoicing.domain.lines import ChargeLine, NotificationUsage

POSTPAID = "postpaid"
PREPAID_MODES = ("prepaid", "soft")  # the wallet pays each message


@dataclass(frozen=True)
class FundingPeriod:
    """Which funding mode applied from `start` to `end` (days in the account's time zone)."""

    mode: str  # prepaid | soft | postpaid
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class TopUpQuote:
    currency_code: str
    fee_micros: int
    # The phone number whose balance it goes to, as registered (empty: the account's).
    display_phone_number: str = ""


class UsageSource(Protocol):
    """Metering's usage figures for an account (dates in the account's time zone)."""

    def count_active_users(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> int: ...

    def notification_usage(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> NotificationUsage: ...

    def charge_lines(
        self, account_id: str, channel_id: str, from_date: dt.date, to_date: dt.date
    ) -> list[ChargeLine]:
        """What was charged for messages delivered over the dates, grouped as invoice lines."""
        ...


@dataclass(frozen=True)
class AccountTerms:
    currency_code: str
    time_zone: str  # IANA name
    # Whether money is kept per phone number (then a credit names the channel).
    funds_per_channel: bool = False

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(ZoneInfo(self.time_zone)).date()


class Wallet(Protocol):
    def account_terms(self, account_id: str) -> AccountTerms:
        """The account's currency and time zone; NotFound for an account the wallet lacks."""
        ...

    def funding_periods(
        self, account_id: str, from_date: dt.date, to_date: dt.date
    ) -> list[FundingPeriod]:
        """Which funding mode applied on each day of the range (the wallet decides)."""
        ...

    def schedule_funding(
        self,
        account_id: str,
        funding_mode: int,
        credit_limit_micros: int,
        overdraft_limit_micros: int,
        effective: dt.date,
        idempotency_key: str,
    ) -> None:
        """New funding terms (billing.wallet.v1.FundingMode) from `effective` on."""
        ...

    def quote_top_up(
        self, account_id: str, channel_id: str, currency_code: str, amount_micros: int
    ) -> TopUpQuote:
        """The fee the wallet books on such a top-up (the account's rule or the default)."""
        ...

    def top_up(
        self,
        account_id: str,
        channel_id: str,
        currency_code: str,
        amount_micros: int,
        fee_micros: int,
        payment_reference: str,
        idempotency_key: str,
        source: str,
    ) -> str:
        """Credit money that was paid for; returns the top-up id (idempotent by key)."""
        ...

    def reverse_top_up(
        self,
        account_id: str,
        top_up_idempotency_key: str,
        amount_micros: int,
        fee_micros: int,
        reason: str,
        idempotency_key: str,
    ) -> None:
        """Take refunded or disputed money back out of the balance, below zero if spent."""
        ...

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

    def take_back_days(
        self, account_id: str, days: int, reference: str, idempotency_key: str
    ) -> None:
        """Take bought days back out of the pool; FailedPrecondition when they were allocated."""
        ...

    def auto_recharge_on(self, account_id: str) -> bool:
        """Whether any of the account's balances has auto-recharge switched on (it charges
        the default card)."""
        ...


class PaymentStatus:
    """Where a card payment stands at the provider."""

    # Created, not yet confirmed: confirming it (again, with its key) charges it.
    REQUIRES_CONFIRMATION = "requires_confirmation"
    # The card's issuer asks the customer to authenticate (3-D Secure): on-session only.
    REQUIRES_ACTION = "requires_action"
    # Accepted; the outcome arrives later (a provider event).
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    # Refused for good (card declined, expired, no such card): a new attempt needs a new key.
    DECLINED = "declined"
    FINAL = frozenset({SUCCEEDED, DECLINED})


@dataclass(frozen=True)
class PaymentState:
    status: str
    # The provider's id of the payment (a Stripe PaymentIntent id).
    payment_ref: str
    # Why it was declined, e.g. "card_declined: insufficient_funds" (shown to the customer).
    reason: str = ""
    # For REQUIRES_ACTION: the secret the customer's browser completes the payment with.
    action_secret: str = ""


@dataclass(frozen=True)
class CardSetup:
    """A card being saved for later off-session payments (a Stripe SetupIntent)."""

    setup_ref: str
    # Handed to the customer's browser, which collects the card with the provider's script.
    client_secret: str


@dataclass(frozen=True)
class CardDetails:
    provider_token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ProviderEvent:
    """Something the provider tells later: an outcome, a refund, a dispute."""

    event_id: str
    # "payment_succeeded", "payment_failed", "payment_requires_action", "refunded",
    # "dispute_opened", "dispute_closed", or "ignored" (a type we do not act on).
    kind: str
    payment_ref: str = ""
    # Refunded (in total so far) or disputed, in the currency's minor units.
    amount_minor: int = 0
    currency_code: str = ""
    reason: str = ""
    # For disputes: the dispute's id, and for a closed one whether the merchant won it.
    dispute_ref: str = ""
    won: bool = False


class InvalidEventSignature(Exception):
    """A provider event whose signature does not verify: never acted on."""


class PaymentProvider(Protocol):
    """Cards and card payments at the payment provider (Stripe, or a local fake).

    Every call that creates something carries an idempotency key. Amounts are in the
    currency's minor units. Adapters raise services.common.errors.Unavailable when the
    provider cannot be reached or answered neither yes nor no (a timeout): the caller keeps
    what it stored and asks again later.
    """

    name: str
    # What the browser's card form is mounted with (Stripe's pk_...); empty without one.
    publishable_key: str

    def ensure_customer(self, account_id: str, idempotency_key: str) -> str:
        """The provider's customer for an account (created once per key)."""
        ...

    def start_card_setup(self, customer_ref: str, idempotency_key: str) -> CardSetup: ...

    def finish_card_setup(self, customer_ref: str, setup_ref: str) -> CardDetails:
        """The card a completed setup saved; FailedPrecondition while it is not complete."""
        ...

    def create_payment(
        self,
        customer_ref: str,
        provider_token: str,
        currency_code: str,
        amount_minor: int,
        idempotency_key: str,
        description: str,
        metadata: dict[str, str],
    ) -> str:
        """Create an unconfirmed off-session payment; returns its id (nothing is charged yet)."""
        ...

    def confirm_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        """Charge the card of a created payment; a repeated key answers the first outcome."""
        ...

    def payment_state(self, payment_ref: str) -> PaymentState:
        """Read a payment by id (recovery after a crash or a timeout)."""
        ...

    def cancel_payment(self, payment_ref: str, idempotency_key: str) -> PaymentState:
        """Cancel a payment that was never completed (a 3-D Secure wait that expired); answers
        where it stands afterwards: DECLINED once cancelled, or SUCCEEDED when the customer
        completed it meanwhile (then it is paid and cannot be cancelled)."""
        ...

    def detach_card(self, provider_token: str, idempotency_key: str) -> None:
        """Forget a saved card at the provider: it can never be charged again. A card already
        detached (a retry), or never saved on a customer, is not an error."""
        ...

    def parse_event(self, payload: bytes, signature: str) -> ProviderEvent:
        """Verify and read a provider event; InvalidEventSignature when it does not verify."""
        ...


@dataclass(frozen=True)
class ChannelCount:
    """An account's channels over a date range of its time zone (the wallet counts them)."""

    # Each day of the range, the channels live that day, added up.
    channel_days: int
    # Live as the range's first day began.
    live_channels: int
    # Live on at least one day of the range.
    channels_used: int
    # The account bought days: its channels send only while they have paid days.
    days_account: bool


class ChannelCounts(Protocol):
    def count_channel_days(
        self, account_id: str, from_date: dt.date, to_date: dt.date
    ) -> ChannelCount:
        """NotFound for an account the wallet lacks."""
        ...
