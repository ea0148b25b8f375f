"""Invoices as the contract's messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.protobuf import timestamp_pb2

from services.invoicing.adapters.billing_messages import date_of, date_text, money, timestamp
from services.invoicing.adapters.kept_answers import KeptAs
from services.invoicing.domain.invoices import Kind, Status
from services.invoicing.domain.issuers import Party
from services.invoicing.service.commands.invoices import Invoice, InvoiceLine

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
STATUS_FROM_PB = {value: key for key, value in STATUS_TO_PB.items()}


def optional_timestamp(moment: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    return None if moment is None else timestamp(moment)


def party(found: Party) -> invoice_pb2.Party:
    return invoice_pb2.Party(**asdict(found))


def invoice(shown: Invoice) -> invoice_pb2.Invoice:
    currency = shown.currency_code
    return invoice_pb2.Invoice(
        invoice_id=shown.invoice_id,
        number=shown.number,
        account_id=shown.account_id,
        kind=KIND_TO_PB[shown.kind],
        status=STATUS_TO_PB[shown.status],
        period_start_date=date_text(shown.period_start),
        period_end_date=date_text(shown.period_end),
        lines=[
            invoice_pb2.InvoiceLine(
                description=line.description,
                quantity_milli=line.quantity_milli,
                unit_price=money(currency, line.unit_price_micros),
                amount=money(currency, line.amount_micros),
                kind=line.kind,
                taxable=line.taxable,
            )
            for line in shown.lines
        ],
        subtotal=money(currency, shown.subtotal_micros),
        tax=money(currency, shown.tax_micros),
        credits_applied=money(currency, shown.credits_applied_micros),
        total=money(currency, shown.total_micros),
        amount_due=money(currency, shown.amount_due_micros),
        issue_time=optional_timestamp(shown.issue_time),
        due_time=optional_timestamp(shown.due_time),
        paid_time=optional_timestamp(shown.paid_time),
        corrects_invoice_id=shown.corrects_invoice_id,
        subscription_id=shown.subscription_id,
        amount_paid=money(currency, shown.paid_micros),
        amount_credited=money(currency, shown.credited_micros),
        payment_failure_reason=shown.payment_failure_reason,
        days=shown.days,
        days_credited=shown.days_credited,
        issuer=party(shown.issuer),
        bill_to=party(shown.bill_to),
        tax_rate_basis_points=shown.tax_rate_basis_points,
        reason=shown.reason,
        source_reference=shown.source_reference,
        tax_note=shown.tax_note,
    )


def _moment(message: invoice_pb2.Invoice, field: str) -> dt.datetime | None:
    stamp: timestamp_pb2.Timestamp = getattr(message, field)
    # An unset time reads as the epoch; no invoice was issued, due or paid then.
    return stamp.ToDatetime(dt.UTC) if stamp.ByteSize() else None


def _party_of(message: invoice_pb2.Party) -> Party:
    return Party(
        name=message.name,
        address=message.address,
        tax_id=message.tax_id,
        email=message.email,
        country=message.country,
    )


def invoice_of(message: invoice_pb2.Invoice) -> Invoice:
    """An invoice as it was answered (a stored reply), back as a plain invoice."""
    return Invoice(
        invoice_id=message.invoice_id,
        number=message.number,
        account_id=message.account_id,
        kind=KIND_FROM_PB[message.kind],
        status=STATUS_FROM_PB[message.status],
        currency_code=message.total.currency_code,
        period_start=date_of(message.period_start_date),
        period_end=date_of(message.period_end_date),
        lines=tuple(
            InvoiceLine(
                description=line.description,
                quantity_milli=line.quantity_milli,
                unit_price_micros=line.unit_price.amount_micros,
                amount_micros=line.amount.amount_micros,
                kind=line.kind,
                taxable=line.taxable,
            )
            for line in message.lines
        ),
        subtotal_micros=message.subtotal.amount_micros,
        tax_micros=message.tax.amount_micros,
        credits_applied_micros=message.credits_applied.amount_micros,
        total_micros=message.total.amount_micros,
        amount_due_micros=message.amount_due.amount_micros,
        issue_time=_moment(message, "issue_time"),
        due_time=_moment(message, "due_time"),
        paid_time=_moment(message, "paid_time"),
        corrects_invoice_id=message.corrects_invoice_id,
        subscription_id=message.subscription_id,
        paid_micros=message.amount_paid.amount_micros,
        credited_micros=message.amount_credited.amount_micros,
        payment_failure_reason=message.payment_failure_reason,
        days=message.days,
        days_credited=message.days_credited,
        issuer=_party_of(message.issuer),
        bill_to=_party_of(message.bill_to),
        tax_rate_basis_points=message.tax_rate_basis_points,
        reason=message.reason,
        source_reference=message.source_reference,
        tax_note=message.tax_note,
    )


CREDIT_NOTE_ISSUED: KeptAs[Invoice, pb.IssueCreditNoteResponse] = KeptAs(
    lambda note: pb.IssueCreditNoteResponse(credit_note=invoice(note)),
    pb.IssueCreditNoteResponse.FromString,
    lambda response: invoice_of(response.credit_note),
)
PARTNER_DAYS_INVOICED: KeptAs[Invoice, pb.CreatePartnerDaysInvoiceResponse] = KeptAs(
    lambda issued: pb.CreatePartnerDaysInvoiceResponse(invoice=invoice(issued)),
    pb.CreatePartnerDaysInvoiceResponse.FromString,
    lambda response: invoice_of(response.invoice),
)
