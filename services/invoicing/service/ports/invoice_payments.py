"""What paying invoices needs from storage beside the payments' own repositories: invoices as
their payments read and change them, and the provider's events already acted on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from services.common.replies import Replies
from services.invoicing.service.commands.invoice_payments import InvoicePayment
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.ports.audit import AuditEntries
from services.invoicing.service.ports.payments import PaymentWork

Row = Mapping[str, Any]


class PayableInvoices(Protocol):
    """One account's invoices (invoicing_invoices rows, as mappings of their columns)."""

    def get(self, account_id: str, invoice_id: str) -> Row | None: ...

    def shown(self, account_id: str, invoice_id: str) -> Invoice | None:
        """The invoice with its lines, as answered."""
        ...

    def update(self, invoice_id: str, values: Mapping[str, Any], **where: Any) -> bool:
        """Change the invoice only while its columns hold `where` (None: not set); whether it
        did. Paid or failed, the change is announced (outbox)."""
        ...

    def awaiting_days(self, limit: int) -> list[Row]:
        """Paid partner invoices whose days (or days taken back, paid again) have not reached
        the wallet yet, over every account."""
        ...


class ProviderEvents(Protocol):
    """The payment provider's events already acted on, by their id."""

    def seen(self, event_id: str) -> bool: ...

    def add(self, event_id: str, provider: str, kind: str, created_at: dt.datetime) -> None:
        """AlreadyKept when it was recorded meanwhile (delivered twice at once)."""
        ...


class InvoicePaymentWork(PaymentWork, Protocol):
    """The payments' unit of work as paying invoices sees it."""

    invoices: PayableInvoices
    provider_events: ProviderEvents
    invoices_paid: Replies[InvoicePayment]
    # What an audit entry written with the unit of work's changes commits with.
    audit: AuditEntries


InvoicePaymentWorks = Callable[[], InvoicePaymentWork]
