"""Answers kept before the use cases took plain commands are answered again, byte for byte: a
retry after an upgrade finds the response its first call got. The stored bytes here are built
as that code built them (the response message, serialised deterministically, under the
account-scoped key and the request's fingerprint)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from services.common import db, idempotency
from services.invoicing.adapters import tables
from services.invoicing.entrypoints import payment_requests
from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import (
    TIMEOUT_S,
    add_card,
    create_plan,
    partner_invoice,
    run_cycle,
    subscribe,
    usd,
)


def keep(database_url: str, scope: str, key: str, request: Message, response: Message) -> bytes:
    """A kept answer as written before: the response's deterministic bytes."""
    stored = response.SerializeToString(deterministic=True)
    engine = db.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                tables.idempotency_keys.insert().values(
                    scope=scope,
                    idempotency_key=key,
                    request_sha256=idempotency.fingerprint(request),
                    response=stored,
                )
            )
    finally:
        engine.dispose()
    return stored


def kept_fingerprint(database_url: str, scope: str, key: str) -> str:
    engine = db.create_engine(database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.select(tables.idempotency_keys.c.request_sha256).where(
                    tables.idempotency_keys.c.scope == scope,
                    tables.idempotency_keys.c.idempotency_key == key,
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return str(found)


def stamp(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    found = timestamp_pb2.Timestamp()
    found.FromDatetime(moment)
    return found


def test_a_pay_invoice_answer_kept_in_the_old_form_is_answered_again_byte_for_byte(
    invoicing: Invoicing, database_url: str
) -> None:
    partner = invoicing.account("partner")
    invoice = partner_invoice(invoicing.stub, partner, "order-1", channels=2)
    request = pb.PayInvoiceRequest(
        account_id=partner, invoice_id=invoice.invoice_id, idempotency_key="pay-1"
    )
    # A declined card payment, as the old code answered it: the invoice open with the reason.
    declined = invoice_pb2.Invoice()
    declined.CopyFrom(invoice)
    declined.payment_failure_reason = "card_declined: insufficient_funds"
    currency = invoice.total.currency_code
    response = pb.PayInvoiceResponse(
        invoice=declined,
        payment=invoice_pb2.Payment(
            payment_id="pay_0123456789abcdef",
            invoice_id=invoice.invoice_id,
            amount=usd(invoice.amount_due.amount_micros, currency),
            payment_method_id="card-1",
            method="card",
            reference="ch_declined_1",
            create_time=stamp(dt.datetime(2026, 4, 10, 12, 0, 7, 250_123, tzinfo=dt.UTC)),
            status=invoice_pb2.PAYMENT_STATUS_FAILED,
            failure_reason="card_declined: insufficient_funds",
            purpose="invoice",
            refunded=usd(0, currency),
            disputed=usd(0, currency),
        ),
    )
    stored = keep(database_url, "PayInvoice", f"{partner}/pay-1", request, response)

    again = invoicing.stub.PayInvoice(request, timeout=TIMEOUT_S)
    assert again.SerializeToString(deterministic=True) == stored
    assert again == response
    assert invoicing.provider.charges == []  # answered, not charged


def test_a_top_up_receipt_kept_in_the_old_form_is_answered_again_byte_for_byte(
    invoicing: Invoicing, database_url: str
) -> None:
    acme = invoicing.account("acme")
    first = invoicing.stub.CreateTopUpReceipt(
        pb.CreateTopUpReceiptRequest(
            account_id=acme, top_up_id="top-1", amount=usd(50_000_000), fee=usd(1_500_000)
        ),
        timeout=TIMEOUT_S,
    )
    # The receipt of another top-up, kept before (its key: "top-up:<top-up id>").
    request = pb.CreateTopUpReceiptRequest(
        account_id=acme, top_up_id="top-2", amount=usd(50_000_000), fee=usd(1_500_000)
    )
    response = pb.CreateTopUpReceiptResponse(invoice=first.invoice)
    stored = keep(database_url, "CreateTopUpReceipt", f"{acme}/top-up:top-2", request, response)

    again = invoicing.stub.CreateTopUpReceipt(request, timeout=TIMEOUT_S)
    assert again.SerializeToString(deterministic=True) == stored
    assert again == response


def test_an_automatic_charge_is_kept_under_the_fingerprint_of_its_pay_invoice_request(
    invoicing: Invoicing, database_url: str
) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    add_card(invoicing.stub, acme, "good", token="tok_visa")
    (invoice,) = run_cycle(invoicing.stub, "2026-04-10").invoices
    key = f"auto:{invoice.invoice_id}"
    old = idempotency.fingerprint(
        pb.PayInvoiceRequest(account_id=acme, invoice_id=invoice.invoice_id, idempotency_key=key)
    )
    assert payment_requests.pay_print(acme, invoice.invoice_id, key) == old
    assert kept_fingerprint(database_url, "PayInvoice", f"{acme}/{key}") == old
