"""What funding a wallet balance by card needs beside the payments' repositories: the quotes
it confirms, its moves from state to state with what each tells (added funds' events, the
audit log), and the receipt of what was paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from services.invoicing.service.commands.payments import FundsQuote
from services.invoicing.service.ports.audit import AuditEntries
from services.invoicing.service.ports.payments import PaymentWork


class FundingQuotes(Protocol):
    def find(self, account_id: str, quote_id: str) -> FundsQuote | None:
        """A quote given to the account (its expiry in UTC)."""
        ...


class FundingMoves(Protocol):
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


class FundingEvents(Protocol):
    def announce(self, funding_id: str, event_type: str, occur_ms: int) -> None:
        """Added funds' top_up.succeeded or top_up.failed, into the outbox: the funding as
        this transaction wrote it."""
        ...


class FundingReceipts(Protocol):
    def issue(
        self,
        account_id: str,
        funding_id: str,
        currency_code: str,
        amount_micros: int,
        fee_micros: int,
    ) -> str:
        """The paid receipt of the funding (its amount and fee lines), issued once per
        funding; the receipt invoice's id."""
        ...


class FundingWork(PaymentWork, Protocol):
    funding_quotes: FundingQuotes
    funding_moves: FundingMoves
    funding_events: FundingEvents
    audit: AuditEntries


FundingWorks = Callable[[], FundingWork]
