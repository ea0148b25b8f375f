"""Money in and out of a balance, as plain values: top-ups, their reversals, quotes, balances
and listings. The servicer builds these from requests and turns the results into responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

RECORDED = "recorded"
APPLIED = "applied"
MONEY = "money"
CREDIT = "credit"


@dataclass(frozen=True, slots=True)
class Money:
    currency_code: str
    amount_micros: int


@dataclass(frozen=True, slots=True)
class TopUp:
    """Money in. `fee` is the fee charged with the payment, as quoted; None: the account's."""

    account_id: str
    channel_id: str
    amount: Money
    idempotency_key: str
    source: str = "manual"
    payment_reference: str = ""
    transfer_reference: str = ""
    fee: Money | None = None


@dataclass(frozen=True, slots=True)
class QuoteTopUp:
    account_id: str
    channel_id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class TopUpQuote:
    amount: Money
    fee: Money
    display_phone_number: str


@dataclass(frozen=True, slots=True)
class TopUpRecord:
    top_up_id: str
    account_id: str
    channel_id: str
    currency_code: str
    amount_micros: int
    fee_micros: int
    state: str  # RECORDED, then APPLIED once in the hot balance
    source: str
    idempotency_key: str
    payment_reference: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class ReverseTopUp:
    """Refunded or disputed money taken back from the top-up recorded under a key."""

    account_id: str
    top_up_idempotency_key: str
    idempotency_key: str
    reason: str
    amount: Money
    fee: Money


@dataclass(frozen=True, slots=True)
class ReversalRecord:
    reversal_id: str
    account_id: str
    channel_id: str
    currency_code: str
    top_up_id: str
    amount_micros: int
    fee_micros: int
    reason: str
    idempotency_key: str
    state: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class Holding:
    """One balance of an account: money (per channel and currency) or credit for messages."""

    kind: str  # MONEY or CREDIT
    currency_code: str
    channel_id: str
    available_micros: int
    reserved_micros: int
    debt_micros: int = 0


@dataclass(frozen=True, slots=True)
class ListPage:
    """A page of an account's listing, as asked for (checked by the use case)."""

    account_id: str
    page_size: int = 0
    page_token: str = ""
    newest_first: bool = False


@dataclass(frozen=True, slots=True)
class Listed(Generic[T]):
    items: list[T]
    next_page_token: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    entry_id: str
    transaction_id: str
    account_id: str
    ledger_account: str
    debit_micros: int
    credit_micros: int
    currency_code: str
    kind: str
    reference: str
    created_ms: int
