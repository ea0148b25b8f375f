"""Cards on file and paying invoices: default card, declines, transfers, partner days."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from billing.invoicing.v1 import events_pb2, invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

from services.invoicing.adapters import invoice_events
from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import (
    TIMEOUT_S,
    USD,
    add_card,
    create_plan,
    field_of,
    outbox_events,
    partner_invoice,
    rpc_error,
    run_cycle,
    subscribe,
    usd,
)

OPEN = invoice_pb2.INVOICE_STATUS_OPEN
PAID = invoice_pb2.INVOICE_STATUS_PAID


def cards(invoicing: Invoicing, account_id: str) -> list[invoice_pb2.PaymentMethod]:
    return list(
        invoicing.stub.ListPaymentMethods(
            pb.ListPaymentMethodsRequest(account_id=account_id), timeout=TIMEOUT_S
        ).payment_methods
    )


def pay(
    invoicing: Invoicing, invoice: invoice_pb2.Invoice, key: str, **fields: str
) -> pb.PayInvoiceResponse:
    return invoicing.stub.PayInvoice(
        pb.PayInvoiceRequest(
            account_id=invoice.account_id,
            invoice_id=invoice.invoice_id,
            idempotency_key=key,
            **fields,
        ),
        timeout=TIMEOUT_S,
    )


def pool_days(invoicing: Invoicing, account_id: str) -> int:
    """The days the wallet holds for the account to allocate to its channels."""
    return invoicing.backends.wallet.stub.ListChannels(
        wallet_pb.ListChannelsRequest(account_id=account_id), timeout=TIMEOUT_S
    ).pool_days


def test_the_first_card_is_the_default_and_the_default_can_change(invoicing: Invoicing) -> None:
    first = add_card(invoicing.stub, "acme", "card-1")
    second = add_card(invoicing.stub, "acme", "card-2")
    assert (first.is_default, second.is_default) == (True, False)
    assert first.provider_token == ""  # never handed back
    invoicing.stub.SetDefaultPaymentMethod(
        pb.SetDefaultPaymentMethodRequest(account_id="acme", payment_method_id="card-2"),
        timeout=TIMEOUT_S,
    )
    defaults = {card.payment_method_id: card.is_default for card in cards(invoicing, "acme")}
    assert defaults == {"card-1": False, "card-2": True}
    assert cards(invoicing, "globex") == []
    missing = rpc_error(
        invoicing.stub.SetDefaultPaymentMethod,
        pb.SetDefaultPaymentMethodRequest(account_id="globex", payment_method_id="card-2"),
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND


def test_a_card_setup_with_the_fake_provider_saves_its_card_and_has_no_browser_key(
    invoicing: Invoicing,
) -> None:
    setup = invoicing.stub.StartCardSetup(
        pb.StartCardSetupRequest(account_id="acme", idempotency_key="setup-1"), timeout=TIMEOUT_S
    )
    assert (setup.provider, setup.publishable_key) == ("fake", "")
    assert setup.setup_id and setup.client_secret
    saved = invoicing.stub.AddPaymentMethod(
        pb.AddPaymentMethodRequest(account_id="acme", setup_id=setup.setup_id, idempotency_key="k"),
        timeout=TIMEOUT_S,
    ).payment_method
    assert (saved.brand, saved.last4, saved.exp_year, saved.is_default) == (
        "visa",
        "4242",
        2099,
        True,
    )


def test_adding_the_same_card_again_returns_it_once(invoicing: Invoicing) -> None:
    first = add_card(invoicing.stub, "acme", "card-1")
    assert add_card(invoicing.stub, "acme", "card-1") == first
    assert len(cards(invoicing, "acme")) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"provider_token": "4242424242424242"}, "payment_method.provider_token"),
        ({"provider_token": "tok_4242 4242 4242 4242"}, "payment_method.provider_token"),
        ({"brand": "4111-1111-1111-1111"}, "payment_method.brand"),
        ({"last4": "42424"}, "payment_method.last4"),
        ({"brand": "acmecard"}, "payment_method.brand"),
        ({"exp_month": 13}, "payment_method.exp_month"),
        ({"exp_year": 2020}, "payment_method.exp_year"),
        ({"provider_token": ""}, "payment_method.provider_token"),
    ],
)
def test_card_numbers_and_bad_cards_are_refused(
    invoicing: Invoicing, changes: dict[str, Any], field: str
) -> None:
    card: dict[str, Any] = {
        "payment_method_id": "card-1",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2099,
        "provider_token": "tok_visa",
        **changes,
    }
    error = rpc_error(
        invoicing.stub.AddPaymentMethod,
        pb.AddPaymentMethodRequest(
            account_id="acme", payment_method=invoice_pb2.PaymentMethod(**card)
        ),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == field
    assert "4242424242424242" not in (error.details() or "")
    assert cards(invoicing, "acme") == []


def test_cycle_invoices_are_charged_to_the_default_card(invoicing: Invoicing) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    add_card(invoicing.stub, acme, "card-1", token="tok_visa_acme")
    (invoice,) = run_cycle(invoicing.stub, "2026-04-10").invoices
    assert invoice.status == PAID
    assert invoice.amount_paid.amount_micros == 49 * USD
    assert invoice.amount_due.amount_micros == 0
    assert invoicing.provider.charges == [("tok_visa_acme", "USD", 49 * USD)]


def test_a_declined_card_leaves_the_invoice_open_with_the_reason(invoicing: Invoicing) -> None:
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    add_card(invoicing.stub, acme, "bad", token="tok_decline_insufficient_funds")
    (invoice,) = run_cycle(invoicing.stub, "2026-04-10").invoices
    assert invoice.status == OPEN
    assert invoice.payment_failure_reason == "card_declined: insufficient_funds"
    declined = pay(invoicing, invoice, "try-1")
    assert declined.payment.status == invoice_pb2.PAYMENT_STATUS_FAILED
    assert declined.invoice.status == OPEN
    assert pay(invoicing, invoice, "try-1") == declined  # a retry answers the first result

    add_card(invoicing.stub, acme, "good", token="tok_visa")
    paid = pay(invoicing, invoice, "try-2", payment_method_id="good")
    assert paid.payment.status == invoice_pb2.PAYMENT_STATUS_SUCCEEDED
    assert paid.invoice.status == PAID
    assert paid.invoice.payment_failure_reason == ""
    assert pay(invoicing, invoice, "try-2", payment_method_id="good") == paid
    assert invoicing.provider.charges == [("tok_visa", "USD", 49 * USD)]
    again = rpc_error(
        invoicing.stub.PayInvoice,
        pb.PayInvoiceRequest(
            account_id=acme, invoice_id=invoice.invoice_id, idempotency_key="try-3"
        ),
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_card_payment_never_authenticated_expires_and_frees_the_invoice(
    start_invoicing: Callable[..., Invoicing],
) -> None:
    now = [dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC)]
    invoicing = start_invoicing(clock=lambda: now[0])
    partner = invoicing.account("partner")
    invoice = partner_invoice(invoicing.stub, partner, "order-1", channels=2)
    add_card(invoicing.stub, partner, "3ds", token="tok_authenticate")
    waiting = pay(invoicing, invoice, "card-1")
    assert waiting.payment.status == invoice_pb2.PAYMENT_STATUS_REQUIRES_ACTION
    in_flight = rpc_error(
        invoicing.stub.PayInvoice,
        pb.PayInvoiceRequest(
            account_id=partner,
            invoice_id=invoice.invoice_id,
            idempotency_key="wire",
            transfer_reference="WIRE 1",
        ),
    )
    assert in_flight.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert invoicing.scheduler.expire_unauthenticated() == 0  # within the 24 hours
    now[0] += dt.timedelta(hours=24, seconds=1)
    assert invoicing.scheduler.expire_unauthenticated() == 1
    reopened = invoicing.stub.GetInvoice(
        pb.GetInvoiceRequest(account_id=partner, invoice_id=invoice.invoice_id),
        timeout=TIMEOUT_S,
    ).invoice
    assert reopened.status == OPEN
    assert "not completed in time" in reopened.payment_failure_reason
    assert invoicing.provider.charges == []
    # Invoicing cancelled it by itself: in the account's audit log, with the service acting.
    entries = invoicing.stub.ListAuditEntries(
        pb.ListAuditEntriesRequest(account_id=partner), timeout=TIMEOUT_S
    ).entries
    (expired,) = [e for e in entries if e.action == "InvoiceCardPaymentExpired"]
    assert (expired.actor.kind, expired.actor.id) == ("service", "invoicing")
    assert expired.target == invoice.invoice_id and "not completed" in expired.reason
    paid = pay(invoicing, invoice, "wire", transfer_reference="WIRE 1")
    assert paid.invoice.status == PAID


def invoice_events_of(database_url: str, invoice_id: str) -> list[events_pb2.InvoiceEvent]:
    """The invoice's events in invoicing's outbox."""
    found = outbox_events(database_url, events_pb2.InvoiceEvent)
    return [event for event in found if event.invoice_id == invoice_id]


def test_invoice_events_occur_when_the_service_clock_says(
    start_invoicing: Callable[..., Invoicing], database_url: str
) -> None:
    issued_at = dt.datetime(2026, 4, 10, 12, 0, 7, 250_000, tzinfo=dt.UTC)
    now = [issued_at]
    invoicing = start_invoicing(clock=lambda: now[0])
    acme = invoicing.account("acme")
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, acme, "2026-03-10")
    add_card(invoicing.stub, acme, "bad", token="tok_decline_insufficient_funds")
    (invoice,) = run_cycle(invoicing.stub, "2026-04-10").invoices
    paid_at = issued_at + dt.timedelta(hours=3, milliseconds=5)
    now[0] = paid_at
    add_card(invoicing.stub, acme, "good", token="tok_visa")
    assert pay(invoicing, invoice, "try-1", payment_method_id="good").invoice.status == PAID

    written = invoice_events_of(database_url, invoice.invoice_id)
    events = {event.type: event for event in written}
    assert len(events) == len(written)  # one of each
    occurred = {kind: event.occur_time.ToDatetime(dt.UTC) for kind, event in events.items()}
    assert occurred == {
        invoice_events.INVOICE_ISSUED: issued_at,
        invoice_events.PAYMENT_FAILED: issued_at,
        invoice_events.INVOICE_PAID: paid_at,
    }
    # A failure is told apart from another by its reason and the service clock's minute.
    minute = (issued_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(minutes=1)
    occurrence = f"card_declined: insufficient_funds:{minute}"
    failed_id = uuid.uuid5(
        invoice_events.EVENT_IDS,
        f"{invoice_events.PAYMENT_FAILED}:{invoice.invoice_id}:{occurrence}",
    ).hex
    assert events[invoice_events.PAYMENT_FAILED].event_id == failed_id


def test_marked_paid_by_transfer_with_a_reference(invoicing: Invoicing) -> None:
    partner = invoicing.account("partner")
    invoice = partner_invoice(invoicing.stub, partner, "order-1", channels=2)
    paid = pay(invoicing, invoice, "wire-1", transfer_reference="WIRE 2026/0042")
    assert paid.invoice.status == PAID
    assert (paid.payment.method, paid.payment.reference) == ("transfer", "WIRE 2026/0042")
    assert paid.payment.amount.amount_micros == invoice.total.amount_micros
    assert invoicing.provider.charges == []


def test_no_card_on_file_is_a_failed_precondition(invoicing: Invoicing) -> None:
    invoice = partner_invoice(invoicing.stub, "partner", "order-1", channels=2)
    error = rpc_error(
        invoicing.stub.PayInvoice,
        pb.PayInvoiceRequest(
            account_id="partner", invoice_id=invoice.invoice_id, idempotency_key="k"
        ),
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert field_of(error) == "payment_method_id"


def test_75_channels_buy_2250_days_credited_once_when_paid(invoicing: Invoicing) -> None:
    partner = invoicing.account("partner")
    invoice = partner_invoice(invoicing.stub, partner, "order-75", price_micros=20 * USD)
    assert invoice.days == 2_250
    (line,) = invoice.lines
    assert (line.quantity_milli, line.unit_price.amount_micros) == (75_000, 20 * USD)
    assert invoice.total.amount_micros == 1_500 * USD
    assert invoice.status == OPEN and not invoice.days_credited
    assert pool_days(invoicing, partner) == 0
    retry = partner_invoice(invoicing.stub, partner, "order-75", price_micros=20 * USD)
    assert retry == invoice

    add_card(invoicing.stub, partner, "card-1")
    paid = pay(invoicing, invoice, "pay-75")
    assert paid.invoice.status == PAID
    # Days are credited right after the payment is recorded; GetInvoice shows it.
    assert pool_days(invoicing, partner) == 2_250
    got = invoicing.stub.GetInvoice(
        pb.GetInvoiceRequest(account_id=partner, invoice_id=invoice.invoice_id),
        timeout=TIMEOUT_S,
    ).invoice
    assert got.days_credited
    assert pay(invoicing, invoice, "pay-75") == paid
    assert pool_days(invoicing, partner) == 2_250


def test_days_missed_by_the_wallet_are_credited_by_the_sweeper(invoicing: Invoicing) -> None:
    partner = invoicing.account("partner")
    invoice = partner_invoice(invoicing.stub, partner, "order-3", channels=3)
    with invoicing.backends.wallet_switch.down("AddDays"):
        paid = pay(invoicing, invoice, "wire", transfer_reference="WIRE-3")
    assert paid.invoice.status == PAID and not paid.invoice.days_credited
    assert pool_days(invoicing, partner) == 0
    # The scheduler's sweep is driven by hand here (the worker is switched off in tests).
    assert invoicing.scheduler.sweep_days() == 1
    assert pool_days(invoicing, partner) == 90
    assert invoicing.scheduler.sweep_days() == 0
    got = invoicing.stub.GetInvoice(
        pb.GetInvoiceRequest(account_id=partner, invoice_id=invoice.invoice_id),
        timeout=TIMEOUT_S,
    ).invoice
    assert got.days_credited


def set_contract(invoicing: Invoicing, account_id: str, price: Any) -> pb.PartnerContract:
    return invoicing.stub.SetPartnerContract(
        pb.SetPartnerContractRequest(account_id=account_id, price_per_channel_month=price),
        timeout=TIMEOUT_S,
    ).contract


def test_days_may_be_bought_without_channels_at_the_contract_price(invoicing: Invoicing) -> None:
    set_contract(invoicing, "partner", usd(30 * USD))
    answer = invoicing.stub.CreatePartnerDaysInvoice(
        pb.CreatePartnerDaysInvoiceRequest(
            account_id="partner", days=45, idempotency_key="days-45"
        ),
        timeout=TIMEOUT_S,
    ).invoice
    assert answer.days == 45
    assert answer.total == usd(45 * USD)


def test_the_price_is_the_contracts_never_the_requests(invoicing: Invoicing) -> None:
    request = pb.CreatePartnerDaysInvoiceRequest(
        account_id="partner", channels=75, idempotency_key="cheap"
    )
    no_contract = rpc_error(invoicing.stub.CreatePartnerDaysInvoice, request)
    assert no_contract.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no contract price" in str(no_contract.details())
    set_contract(invoicing, "partner", usd(20 * USD))
    request.price_per_channel_month.CopyFrom(usd(1))
    priced = rpc_error(invoicing.stub.CreatePartnerDaysInvoice, request)
    assert priced.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(priced) == "price_per_channel_month"
    listed = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(account_id="partner"), timeout=TIMEOUT_S
    )
    assert list(listed.invoices) == []
    request.ClearField("price_per_channel_month")
    invoice = invoicing.stub.CreatePartnerDaysInvoice(request, timeout=TIMEOUT_S).invoice
    assert invoice.total == usd(75 * 20 * USD)
    contract = invoicing.stub.GetPartnerContract(
        pb.GetPartnerContractRequest(account_id="partner"), timeout=TIMEOUT_S
    ).contract
    assert contract.price_per_channel_month == usd(20 * USD)
    bad = rpc_error(
        invoicing.stub.SetPartnerContract,
        pb.SetPartnerContractRequest(account_id="partner", price_per_channel_month=usd(0)),
    )
    assert field_of(bad) == "price_per_channel_month.amount_micros"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channels": 2, "days": 60}, "days"),
        ({}, "channels"),
        ({"channels": -1}, "channels"),
        ({"channels": 2, "idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_partner_invoice_bad_input(
    invoicing: Invoicing, fields: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"account_id": "partner", "idempotency_key": "k", **fields}
    request = pb.CreatePartnerDaysInvoiceRequest(**values)  # type: ignore[arg-type]
    error = rpc_error(invoicing.stub.CreatePartnerDaysInvoice, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == field


def test_a_transfer_reference_that_looks_like_a_card_is_refused(invoicing: Invoicing) -> None:
    invoice = partner_invoice(invoicing.stub, "partner", "order-1", channels=1)
    error = rpc_error(
        invoicing.stub.PayInvoice,
        pb.PayInvoiceRequest(
            account_id="partner",
            invoice_id=invoice.invoice_id,
            idempotency_key="k",
            transfer_reference="5555555555554444",
        ),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == "transfer_reference"
