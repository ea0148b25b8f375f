"""Invoices as the use cases answer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.invoicing.domain.issuers import Party


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    quantity_milli: int
    unit_price_micros: int
    amount_micros: int
    kind: str
    taxable: bool


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice (or receipt, credit note, statement) as shown; amounts in micros of its
    currency."""

    invoice_id: str
    number: str
    account_id: str
    kind: str
    status: str
    currency_code: str
    period_start: dt.date | None
    period_end: dt.date | None
    lines: tuple[InvoiceLine, ...]
    subtotal_micros: int
    tax_micros: int
    credits_applied_micros: int
    total_micros: int
    amount_due_micros: int
    issue_time: dt.datetime | None
    due_time: dt.datetime | None
    paid_time: dt.datetime | None
    corrects_invoice_id: str
    subscription_id: str
    paid_micros: int
    credited_micros: int
    payment_failure_reason: str
    days: int
    days_credited: bool
    issuer: Party
    bill_to: Party
    tax_rate_basis_points: int
    reason: str
    source_reference: str
    tax_note: str


@dataclass(frozen=True, slots=True)
class IssueCreditNote:
    account_id: str
    invoice_id: str
    reason: str
    amount_micros: int
    currency_code: str
    idempotency_key: str  # scoped to the account
    request_sha256: str


@dataclass(frozen=True, slots=True)
class CreatePartnerDaysInvoice:
    account_id: str
    channels: int  # or days, never both
    days: int
    idempotency_key: str  # scoped to the account
    request_sha256: str
