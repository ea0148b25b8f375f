"""What the payments' use cases need from storage: a unit of work per transaction with its
repositories (cards on file, card payments, the provider's customers, answers kept by
idempotency key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from services.common.unit_of_work import Transaction

AnswerT = TypeVar("AnswerT")
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


@dataclass(frozen=True, slots=True)
class ActiveSubscription:
    start_date: dt.date
    period_months: int


class Subscriptions(Protocol):
    def earliest_active(self, account_id: str) -> ActiveSubscription | None:
        """The account's active subscription that started first, if any."""
        ...


class Replies(Protocol):
    """Answers kept by (scope, idempotency key): a retry gets the first answer."""

    def find(
        self, scope: str, key: str, request_sha256: str, kind: type[AnswerT]
    ) -> AnswerT | None:
        """The answer kept for the key; Conflict when it came with another request."""
        ...

    def add(self, scope: str, key: str, request_sha256: str, answer: object) -> None:
        """Keep the answer with the transaction; Conflict when the key is taken meanwhile."""
        ...


class PaymentWork(Transaction, Protocol):
    cards: Cards
    payments: CardPayments
    customers: Customers
    subscriptions: Subscriptions
    replies: Replies


PaymentWorks = Callable[[], PaymentWork]
