"""What settling paid postpaid invoices with the wallet needs from storage: the invoice as
settlement sees it, and the movements written before the wallet is asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.common.unit_of_work import Transaction
from services.invoicing.domain.wallet_settlement import Movement


@dataclass(frozen=True, slots=True)
class PostpaidInvoice:
    invoice_id: str
    account_id: str
    kind: str
    status: str
    currency_code: str
    number: str  # "" before it has one
    subscription_id: str | None
    total_micros: int
    wallet_settled: bool  # the wallet has got the charges back


class AlreadyPlanned(Exception):
    """A movement with the same key was written meanwhile; the unit of work is spent."""


class WalletSettlements(Protocol):
    def invoice(self, account_id: str, invoice_id: str) -> PostpaidInvoice | None: ...

    def awaiting_settlement(self, limit: int) -> list[tuple[str, str]]:
        """Paid notifications invoices whose charges the wallet has not got back, as (account,
        invoice), the earliest paid first."""
        ...

    def charges_micros(self, invoice_id: str) -> int:
        """What the invoice bills for the messages themselves (its "notifications" lines)."""
        ...

    def planned(self, cause: str) -> bool:
        """Whether a movement for this cause was written."""
        ...

    def history(self, invoice_id: str) -> list[Movement]:
        """The invoice's movements (planned ones too), oldest first."""
        ...

    def plan(self, invoice: PostpaidInvoice, movement: Movement) -> None:
        """Write the movement, not done yet; AlreadyPlanned when its key was written."""
        ...

    def pending(self, invoice_id: str) -> list[Movement]:
        """The invoice's movements not done yet, by kind, then as written."""
        ...

    def done(self, movement_key: str, done_at: dt.datetime) -> None: ...

    def settled(self, invoice_id: str, settled_at: dt.datetime) -> None:
        """Mark a paid invoice's charges given back (unless marked already)."""
        ...

    def owed_again(self, invoice_id: str) -> None:
        """The invoice's charges are owed to the wallet again (taken back)."""
        ...

    def channel_of(self, subscription_id: str | None) -> str:
        """The subscription's phone number ("" without one)."""
        ...


class SettlementWork(Transaction, Protocol):
    settlements: WalletSettlements


SettlementWorks = Callable[[], SettlementWork]
