"""What the payments' use cases need from storage: a unit of work per transaction with its
repositories (cards on file, card payments, the provider's customers, answers kept by
idempotency key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from services.common.replies import Replies
from services.common.unit_of_work import Transaction
from services.invoicing.service.commands.payments import CardOnFile, FundsQuote

# Why a card payment cannot be tried at all.
NO_PROVIDER = (
    "card payments are switched off: no payment provider is configured (PAYMENTS_PROVIDER)"
)
Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CardRecord:
    """A card kept on file, with the provider's token it is charged by."""

    account_id: str
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    provider_token: str
    is_default: bool


class Cards(Protocol):
    def of_account(self, account_id: str) -> list[CardRecord]:
        """The account's cards, oldest first."""
        ...

    def find(self, account_id: str, payment_method_id: str) -> CardRecord | None: ...

    def default(self, account_id: str) -> CardRecord | None:
        """The account's default card, if it has one."""
        ...

    def add(self, card: CardRecord) -> None:
        """Keep a card; a default one makes the account's other cards not default."""
        ...

    def exists(self, account_id: str, payment_method_id: str) -> bool: ...

    def make_default(self, account_id: str, payment_method_id: str) -> None:
        """This card the default, every other card of the account not."""
        ...

    def remove(self, account_id: str, payment_method_id: str) -> bool:
        """Whether it was there to remove."""
        ...

    def token_elsewhere(self, card: CardRecord) -> bool:
        """Whether another card row keeps the same provider token (then it stays attached)."""
        ...


class CardPayments(Protocol):
    """Payments (invoicing_payments rows, as mappings of their columns)."""

    def get(self, payment_id: str) -> Row | None: ...

    def by_ref(self, provider_payment_id: str) -> Row | None:
        """The payment the provider knows by this id."""
        ...

    def add(self, payment: Mapping[str, Any]) -> None: ...

    def update(self, payment_id: str, values: Mapping[str, Any]) -> None: ...

    def update_in_progress(self, payment_id: str, values: Mapping[str, Any]) -> None:
        """Change a payment still pending or waiting for authentication; a final outcome is
        never overwritten."""
        ...

    def stuck(self, cutoff: dt.datetime, purpose: str, limit: int) -> list[Row]:
        """Card payments still pending, last touched before `cutoff`, oldest first."""
        ...

    def unauthenticated(self, cutoff: dt.datetime, purpose: str, limit: int) -> list[Row]:
        """Card payments waiting for the customer's authentication since before `cutoff`."""
        ...

    def reference(self, payment_id: str) -> str | None:
        """The provider's reference of the payment; None when there is no such payment."""
        ...

    def exists(self, payment_id: str) -> bool: ...

    def in_progress_with(self, account_id: str, payment_method_id: str) -> bool:
        """Whether a payment made with the card is pending or waiting for authentication."""
        ...


class AlreadyKept(Exception):
    """The row was written meanwhile by another call (the same key, the same thing)."""


class Customers(Protocol):
    def find(self, account_id: str, provider: str) -> str | None:
        """The provider's customer of the account, if one was kept."""
        ...

    def add(
        self, account_id: str, provider: str, customer_ref: str, created_at: dt.datetime
    ) -> None:
        """Keep it; AlreadyKept when one was kept meanwhile (made with the same key)."""
        ...


class QuoteRecords(Protocol):
    def add(self, quote: FundsQuote, created_at: dt.datetime) -> None: ...

    def find(self, account_id: str, quote_id: str) -> FundsQuote | None:
        """A quote given to the account (its expiry in UTC)."""
        ...


class FundingRecords(Protocol):
    """Fundings (invoicing_fundings rows, as mappings of their columns)."""

    def get(self, account_id: str, funding_id: str) -> Row | None: ...

    def add(self, funding: Mapping[str, Any]) -> None:
        """Keep a new funding. AlreadyKept, writing nothing, when a funding already has its
        funding_id, its (account_id, idempotency_key) or its quote_id: one quote never opens
        two fundings (the card would be charged twice)."""
        ...

    def move(
        self,
        funding_id: str,
        before: tuple[str, ...],
        after: str,
        values: Mapping[str, Any],
        moved_at: dt.datetime,
    ) -> bool:
        """Move the funding to `after` (writing `values` too) if it is still in one of the
        states `before`; whether it moved."""
        ...

    def by_payment(self, payment_id: str) -> Row | None:
        """The funding its card payment is for."""
        ...

    def page(self, account_id: str, limit: int, offset: int) -> list[Row]:
        """The account's fundings, newest first."""
        ...

    def in_states_before(
        self, states: tuple[str, ...], cutoff: dt.datetime, limit: int
    ) -> list[Row]:
        """Fundings in any of the states, last moved before `cutoff`, oldest first."""
        ...

    def in_state_before(self, state: str, cutoff: dt.datetime, limit: int) -> list[Row]:
        """Fundings in the state, last moved before `cutoff`, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class ActiveSubscription:
    start_date: dt.date
    period_months: int


class Subscriptions(Protocol):
    def earliest_active(self, account_id: str) -> ActiveSubscription | None:
        """The account's active subscription that started first, if any."""
        ...


@dataclass(frozen=True, slots=True)
class RechargeAnswer:
    """What invoicing tells the wallet of one of its recharge requests."""

    outcome: str  # "succeeded", "declined" or "action_required"
    event_id: str  # the same answer to the same request always has the same id
    account_id: str
    idempotency_key: str
    funding_id: str
    occur_ms: int
    top_up_id: str = ""
    payment_reference: str = ""
    currency_code: str = ""
    amount_micros: int = 0
    fee_micros: int = 0
    reason: str = ""
    # Declined before any charge was tried: no later attempt can do better as things stand.
    final: bool = False


class RechargeAnswers(Protocol):
    def publish(self, answer: RechargeAnswer) -> None:
        """Into the outbox, with the transaction that moves the recharge's funding."""
        ...


class PaymentWork(Transaction, Protocol):
    cards: Cards
    payments: CardPayments
    customers: Customers
    quotes: QuoteRecords
    fundings: FundingRecords
    subscriptions: Subscriptions
    recharge_answers: RechargeAnswers
    cards_added: Replies[CardOnFile]
    cards_removed: Replies[CardOnFile]


PaymentWorks = Callable[[], PaymentWork]
