"""Stored rows as the contract's messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from google.protobuf import timestamp_pb2

from services.invoicing.adapters.invoice_store import as_utc
from services.invoicing.domain import invoices
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.domain.issuers import Party

Row = Mapping[Any, Any]

KIND_TO_PB = {
    Kind.SUBSCRIPTION: invoice_pb2.INVOICE_KIND_SUBSCRIPTION,
    Kind.NOTIFICATIONS: invoice_pb2.INVOICE_KIND_NOTIFICATIONS,
    Kind.TOP_UP_RECEIPT: invoice_pb2.INVOICE_KIND_TOP_UP_RECEIPT,
    Kind.PARTNER_DAYS: invoice_pb2.INVOICE_KIND_PARTNER_DAYS,
    Kind.CREDIT_NOTE: invoice_pb2.INVOICE_KIND_CREDIT_NOTE,
    Kind.STATEMENT: invoice_pb2.INVOICE_KIND_STATEMENT,
}
KIND_FROM_PB = {value: key for key, value in KIND_TO_PB.items()}
STATUS_TO_PB = {
    Status.DRAFT: invoice_pb2.INVOICE_STATUS_DRAFT,
    Status.OPEN: invoice_pb2.INVOICE_STATUS_OPEN,
    Status.PAID: invoice_pb2.INVOICE_STATUS_PAID,
    Status.VOID: invoice_pb2.INVOICE_STATUS_VOID,
    Status.ISSUED: invoice_pb2.INVOICE_STATUS_ISSUED,
}
PAYMENT_STATUS_TO_PB = {
    "pending": invoice_pb2.PAYMENT_STATUS_PENDING,
    "succeeded": invoice_pb2.PAYMENT_STATUS_SUCCEEDED,
    "failed": invoice_pb2.PAYMENT_STATUS_FAILED,
    "requires_action": invoice_pb2.PAYMENT_STATUS_REQUIRES_ACTION,
    "expired": invoice_pb2.PAYMENT_STATUS_EXPIRED,
}


def money(currency_code: str, amount_micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros)


def timestamp(moment: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    moment = as_utc(moment)
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def date_text(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


def party(text: str) -> invoice_pb2.Party:
    found = Party.from_json(text)
    return invoice_pb2.Party(
        name=found.name,
        address=found.address,
        tax_id=found.tax_id,
        email=found.email,
        country=found.country,
    )


def amount_due(row: Row) -> int:
    if row["status"] not in (Status.OPEN, Status.PAID):
        return 0
    return invoices.amount_due(
        row["total_micros"],
        row["credits_applied_micros"],
        row["credited_micros"],
        row["paid_micros"],
    )


def invoice(row: Row, lines: Sequence[Row]) -> invoice_pb2.Invoice:
    currency = row["currency_code"]
    message = invoice_pb2.Invoice(
        invoice_id=row["invoice_id"],
        number=row["number"] or "",
        account_id=row["account_id"],
        kind=KIND_TO_PB[row["kind"]],
        status=STATUS_TO_PB[row["status"]],
        period_start_date=date_text(row["period_start"]),
        period_end_date=date_text(row["period_end"]),
        lines=[
            invoice_pb2.InvoiceLine(
                description=line["description"],
                quantity_milli=line["quantity_milli"],
                unit_price=money(currency, line["unit_price_micros"]),
                amount=money(currency, line["amount_micros"]),
                kind=line["kind"],
                taxable=line["taxable"],
            )
            for line in lines
        ],
        subtotal=money(currency, row["subtotal_micros"]),
        tax=money(currency, row["tax_micros"]),
        credits_applied=money(currency, row["credits_applied_micros"]),
        total=money(currency, row["total_micros"]),
        amount_due=money(currency, amount_due(row)),
        issue_time=timestamp(row["issue_time"]),
        due_time=timestamp(row["due_time"]),
        paid_time=timestamp(row["paid_time"]),
        corrects_invoice_id=row["corrects_invoice_id"] or "",
        subscription_id=row["subscription_id"] or "",
        amount_paid=money(currency, row["paid_micros"]),
        amount_credited=money(currency, row["credited_micros"]),
        payment_failure_reason=row["payment_failure_reason"],
        days=row["days"],
        days_credited=row["days_credited_time"] is not None,
        issuer=party(row["issuer"]),
        bill_to=party(row["bill_to"]),
        tax_rate_basis_points=row["tax_rate_basis_points"],
        reason=row["reason"],
        source_reference=row["source_reference"] or "",
        tax_note=row["tax_note"],
    )
    return message


def payment(row: Row) -> invoice_pb2.Payment:
    return invoice_pb2.Payment(
        payment_id=row["payment_id"],
        invoice_id=row["invoice_id"] or "",
        amount=money(row["currency_code"], row["amount_micros"]),
        payment_method_id=row["payment_method_id"],
        method=row["method"],
        reference=row["reference"],
        create_time=timestamp(row["created_at"]),
        status=PAYMENT_STATUS_TO_PB[row["status"]],
        failure_reason=row["failure_reason"],
        purpose=row.get("purpose") or "invoice",
        refunded=money(row["currency_code"], row.get("refunded_micros") or 0),
        disputed=money(row["currency_code"], row.get("disputed_micros") or 0),
    )
