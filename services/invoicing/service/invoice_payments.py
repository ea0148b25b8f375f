"""The rules paying an invoice shares: what is due, when an invoice can be paid and how a
payment is shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common.errors import FailedPrecondition, NotFound
from services.invoicing.domain import invoices
from services.invoicing.domain.invoices import Status
from services.invoicing.service.commands.invoice_payments import PaymentShown
from services.invoicing.service.ports.invoice_payments import InvoicePaymentWork

Row = Mapping[Any, Any]


def payable(work: InvoicePaymentWork, account_id: str, invoice_id: str) -> Row:
    row = work.invoices.get(account_id, invoice_id)
    if row is None:
        raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
    if row["status"] != Status.OPEN:
        raise FailedPrecondition(f"the invoice is {row['status']}; nothing to pay", "invoice_id")
    if row["collecting_payment_id"] is not None:
        raise FailedPrecondition("a card payment of this invoice is in progress", "invoice_id")
    if invoices.amount_due_of(row) == 0:
        raise FailedPrecondition("nothing is due on this invoice", "invoice_id")
    return row


def shown_payment(row: Row) -> PaymentShown:
    return PaymentShown(
        payment_id=row["payment_id"],
        invoice_id=row["invoice_id"] or "",
        currency_code=row["currency_code"],
        amount_micros=row["amount_micros"],
        payment_method_id=row["payment_method_id"],
        method=row["method"],
        reference=row["reference"],
        created_at=row["created_at"],
        status=row["status"],
        failure_reason=row["failure_reason"],
        purpose=row.get("purpose") or "invoice",
        refunded_micros=row.get("refunded_micros") or 0,
        disputed_micros=row.get("disputed_micros") or 0,
    )
