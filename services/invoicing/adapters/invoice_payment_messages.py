"""Invoice payments and top-up receipts as the contract's messages, and back (for answers kept
by idempotency key, stored as the responses their calls gave)."""

from __future__ import annotations

import datetime as dt

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.protobuf import timestamp_pb2

from services.invoicing.adapters.billing_messages import money
from services.invoicing.adapters.invoice_messages import invoice, invoice_of, optional_timestamp
from services.invoicing.adapters.invoice_store import as_utc
from services.invoicing.adapters.kept_answers import KeptAs
from services.invoicing.service.commands.invoice_payments import (
    InvoicePayment,
    PaymentShown,
)
from services.invoicing.service.commands.invoices import Invoice

PAYMENT_STATUS_TO_PB = {
    "pending": invoice_pb2.PAYMENT_STATUS_PENDING,
    "succeeded": invoice_pb2.PAYMENT_STATUS_SUCCEEDED,
    "failed": invoice_pb2.PAYMENT_STATUS_FAILED,
    "requires_action": invoice_pb2.PAYMENT_STATUS_REQUIRES_ACTION,
    "expired": invoice_pb2.PAYMENT_STATUS_EXPIRED,
}
PAYMENT_STATUS_FROM_PB = {value: key for key, value in PAYMENT_STATUS_TO_PB.items()}


def payment(shown: PaymentShown) -> invoice_pb2.Payment:
    currency = shown.currency_code
    return invoice_pb2.Payment(
        payment_id=shown.payment_id,
        invoice_id=shown.invoice_id,
        amount=money(currency, shown.amount_micros),
        payment_method_id=shown.payment_method_id,
        method=shown.method,
        reference=shown.reference,
        create_time=optional_timestamp(as_utc(shown.created_at)),
        status=PAYMENT_STATUS_TO_PB[shown.status],
        failure_reason=shown.failure_reason,
        purpose=shown.purpose,
        refunded=money(currency, shown.refunded_micros),
        disputed=money(currency, shown.disputed_micros),
    )


def payment_of(message: invoice_pb2.Payment) -> PaymentShown:
    stamp: timestamp_pb2.Timestamp = message.create_time
    return PaymentShown(
        payment_id=message.payment_id,
        invoice_id=message.invoice_id,
        currency_code=message.amount.currency_code,
        amount_micros=message.amount.amount_micros,
        payment_method_id=message.payment_method_id,
        method=message.method,
        reference=message.reference,
        created_at=stamp.ToDatetime(dt.UTC) if message.HasField("create_time") else None,
        status=PAYMENT_STATUS_FROM_PB[message.status],
        failure_reason=message.failure_reason,
        purpose=message.purpose,
        refunded_micros=message.refunded.amount_micros,
        disputed_micros=message.disputed.amount_micros,
    )


def invoice_paid(answer: InvoicePayment) -> pb.PayInvoiceResponse:
    response = pb.PayInvoiceResponse(
        invoice=invoice(answer.invoice), payment=payment(answer.payment)
    )
    response.payment.action_client_secret = answer.action_secret
    return response


def invoice_paid_of(response: pb.PayInvoiceResponse) -> InvoicePayment:
    return InvoicePayment(invoice_of(response.invoice), payment_of(response.payment))


INVOICE_PAID: KeptAs[InvoicePayment, pb.PayInvoiceResponse] = KeptAs(
    invoice_paid, pb.PayInvoiceResponse.FromString, invoice_paid_of
)
RECEIPT_ISSUED: KeptAs[Invoice, pb.CreateTopUpReceiptResponse] = KeptAs(
    lambda receipt: pb.CreateTopUpReceiptResponse(invoice=invoice(receipt)),
    pb.CreateTopUpReceiptResponse.FromString,
    lambda response: invoice_of(response.invoice),
)
