"""What funding a wallet balance by card needs beside the payments' repositories (its quotes
and its moves are theirs): what each move tells (added funds' events, the audit log), and the
receipt of what was paid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from services.invoicing.service.ports.audit import AuditEntries
from services.invoicing.service.ports.payments import PaymentWork


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
    funding_events: FundingEvents
    audit: AuditEntries


FundingWorks = Callable[[], FundingWork]
