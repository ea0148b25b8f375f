"""The background loop, driven by hand: billing on time everywhere, finishing stuck payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import grpc
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import (
    TIMEOUT_S,
    add_card,
    create_plan,
    partner_invoice,
    rpc_error,
    subscribe,
)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def invoices(invoicing: Invoicing, account_id: str) -> list[invoice_pb2.Invoice]:
    return list(
        invoicing.stub.ListInvoices(
            pb.ListInvoicesRequest(account_id=account_id), timeout=TIMEOUT_S
        ).invoices
    )


def test_a_cycle_is_billed_once_its_billing_date_has_begun_in_every_time_zone(
    start_invoicing: Callable[..., Invoicing],
) -> None:
    clock = Clock(dt.datetime(2026, 4, 10, 11, 0, tzinfo=dt.UTC))
    invoicing = start_invoicing(clock=clock)
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    invoicing.scheduler.tick()  # still 9 April in UTC-12
    assert invoices(invoicing, acme) == []
    clock.now = dt.datetime(2026, 4, 10, 12, 0, tzinfo=dt.UTC)
    invoicing.scheduler.tick()
    (issued,) = invoices(invoicing, acme)
    assert issued.period_start_date == "2026-03-10"
    invoicing.scheduler.tick()
    assert len(invoices(invoicing, acme)) == 1


def test_a_charge_cut_off_mid_way_is_finished_once(invoicing: Invoicing) -> None:
    partner = invoicing.account("partner")
    invoice = partner_invoice(invoicing.stub, partner, "order", channels=2)
    add_card(invoicing.stub, partner, "card-1")
    invoicing.provider.unreachable = True
    request = pb.PayInvoiceRequest(
        account_id=partner, invoice_id=invoice.invoice_id, idempotency_key="pay-1"
    )
    assert rpc_error(invoicing.stub.PayInvoice, request).code() == grpc.StatusCode.UNAVAILABLE
    other = pb.PayInvoiceRequest(
        account_id=partner, invoice_id=invoice.invoice_id, idempotency_key="pay-2"
    )
    busy = rpc_error(invoicing.stub.PayInvoice, other)
    assert busy.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert invoicing.scheduler.resume_payments() == 0  # still unreachable: stays pending

    invoicing.provider.unreachable = False
    assert invoicing.scheduler.resume_payments() == 1
    assert invoicing.scheduler.resume_payments() == 0
    answer = invoicing.stub.PayInvoice(request, timeout=TIMEOUT_S)  # the client's own retry
    assert answer.invoice.status == invoice_pb2.INVOICE_STATUS_PAID
    assert answer.invoice.amount_paid.amount_micros == invoice.total.amount_micros
    assert answer.payment.status == invoice_pb2.PAYMENT_STATUS_SUCCEEDED
    assert len(invoicing.provider.charges) == 1
    pool = invoicing.backends.wallet.stub.ListChannels(
        wallet_pb.ListChannelsRequest(account_id=partner), timeout=TIMEOUT_S
    ).pool_days
    assert pool == 60
