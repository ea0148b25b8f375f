"""Paying invoices and issuing top-up receipts, as the use cases take and answer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.invoicing.service.commands.invoices import Invoice


@dataclass(frozen=True, slots=True)
class PayInvoice:
    """Pay an open invoice: by the card on file (or the one named), or marked paid by a bank
    transfer (an operator's word, with its reference)."""

    account_id: str
    invoice_id: str
    payment_method_id: str  # empty: the default card
    transfer_reference: str  # not empty: paid by bank transfer
    key: str  # scoped to the account
    # The request's fingerprint, telling a retry from another request under the same key.
    request_sha256: str


@dataclass(frozen=True, slots=True)
class PaymentShown:
    """A payment as the account sees it; amounts in micros of its currency."""

    payment_id: str
    invoice_id: str
    currency_code: str
    amount_micros: int
    payment_method_id: str
    method: str
    reference: str
    created_at: dt.datetime | None
    status: str
    failure_reason: str
    purpose: str
    refunded_micros: int
    disputed_micros: int


@dataclass(frozen=True, slots=True)
class InvoicePayment:
    """The invoice after a payment, and the payment."""

    invoice: Invoice
    payment: PaymentShown
    # For a card payment waiting for authentication: the secret the browser completes it with.
    action_secret: str = ""


@dataclass(frozen=True, slots=True)
class TopUpReceipt:
    """A paid receipt for money added to a balance and its transaction fee."""

    account_id: str
    top_up_id: str
    currency_code: str
    amount_micros: int
    fee_micros: int
    key: str  # scoped to the account
    request_sha256: str
