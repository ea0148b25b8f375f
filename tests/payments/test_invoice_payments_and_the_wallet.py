"""What an invoice's payment does to the wallet, through the real wallet, metering and
invoicing: a paid postpaid notifications invoice gives the balance back its charges (by card,
transfer or credit note), a refund takes them back out (owed again) and paying again gives
them back; a refunded partner invoice takes its days back out of the pool, and says so when
they were already allocated to channels. Only the card provider is a fake (it is outside)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap as invoicing_bootstrap
from services.invoicing.adapters import tables as invoicing_tables
from services.invoicing.adapters.payment_providers import FAKE_EVENT_KEY, FakePaymentProvider
from services.metering import bootstrap as metering_bootstrap
from tests.harness.services import InProcessService
from tests.invoicing.helpers import add_card, create_plan, partner_invoice, run_cycle, subscribe
from tests.invoicing.test_end_to_end import delivered_template
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, _serve, wallet_env

USD = 1_000_000
PAID = invoice_pb2.INVOICE_STATUS_PAID
OPEN = invoice_pb2.INVOICE_STATUS_OPEN


@dataclass
class Suite:
    wallet: WalletUnderTest
    metering: metering_grpc.MeteringServiceStub
    wired_metering: metering_bootstrap.Metering
    invoicing: invoicing_grpc.InvoicingServiceStub
    wired_invoicing: invoicing_bootstrap.Wired


@pytest.fixture
def suite(tmp_path: Path, redis_url: str) -> Iterator[Suite]:
    serving = _serve(wallet_env(f"sqlite:///{tmp_path / 'wallet.db'}", redis_url))
    wallet = next(serving)
    metering_wired: list[metering_bootstrap.Metering] = []
    invoicing_wired: list[invoicing_bootstrap.Wired] = []

    def build_metering(env: Env) -> App:
        metering_wired.append(metering_bootstrap.wire(env))
        return metering_wired[0].app

    def build_invoicing(env: Env) -> App:
        wired = invoicing_bootstrap.wire(env, payment_provider=FakePaymentProvider())
        invoicing_wired.append(wired)
        return wired.app

    metering = InProcessService(
        "metering",
        build_metering,
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'metering.db'}",
            "REDIS_URL": redis_url,
            "METERING_WORKERS_ENABLED": "false",
            "METERING_CONSUMER_NAME": "settlement-test",
        },
    ).start()
    invoicing = InProcessService(
        "invoicing",
        build_invoicing,
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'invoicing.db'}",
            "INVOICING_SCHEDULER_ENABLED": "false",
            "METERING_ADDRESS": metering.address,
            "WALLET_ADDRESS": wallet.service.address,
        },
    ).start()
    channels = [grpc.insecure_channel(s.address) for s in (metering, invoicing)]
    try:
        yield Suite(
            wallet,
            metering_grpc.MeteringServiceStub(channels[0]),
            metering_wired[0],
            invoicing_grpc.InvoicingServiceStub(channels[1]),
            invoicing_wired[0],
        )
    finally:
        for channel in channels:
            channel.close()
        invoicing.stop()
        metering.stop()
        next(serving, None)


def postpaid_month(suite: Suite, account: str, sends: int) -> invoice_pb2.Invoice:
    """A postpaid account's month: templates delivered and charged below zero by the wallet,
    then the cycle's notifications invoice that bills them."""
    suite.wallet.create_account(
        account,
        funding_mode=account_pb2.FUNDING_MODE_POSTPAID,
        credit_limit_micros=100 * USD,
    )
    while suite.wallet.wallet.outbox.step():
        pass
    suite.wired_metering.accounts_consumer.drain()
    events = [
        delivered_template(account, f"m-{n}", f"+1415555010{n}", "2026-03-15T08:00:00+00:00")
        for n in range(sends)
    ]
    suite.metering.RecordEvents(metering_pb.RecordEventsRequest(events=events), timeout=DEADLINE_S)
    suite.wired_metering.relay.drain()
    while suite.wallet.wallet.loops["charges"].step():
        pass
    suite.wallet.wallet.projector.drain()
    create_plan(suite.invoicing)
    subscribe(suite.invoicing, account, "2026-03-10")
    issued = {i.kind: i for i in run_cycle(suite.invoicing, "2026-04-10", account).invoices}
    return issued[invoice_pb2.INVOICE_KIND_NOTIFICATIONS]


def invoice_payment_top_ups(suite: Suite, account: str) -> list[tuple[str, int, str]]:
    listed = suite.wallet.stub.ListTopUps(
        pb.ListTopUpsRequest(account_id=account), timeout=DEADLINE_S
    ).top_ups
    return sorted(
        (t.idempotency_key, t.amount.amount_micros, t.payment_reference)
        for t in listed
        if t.source == "invoice_payment"
    )


def provider_event(suite: Suite, **fields: object) -> None:
    payload = json.dumps(fields).encode()
    signature = hmac.new(FAKE_EVENT_KEY, payload, hashlib.sha256).hexdigest()
    suite.invoicing.HandlePaymentEvent(
        invoicing_pb.HandlePaymentEventRequest(
            provider="fake", payload=payload, signature=signature
        ),
        timeout=DEADLINE_S,
    )


def get_invoice(suite: Suite, account: str, invoice_id: str) -> invoice_pb2.Invoice:
    return suite.invoicing.GetInvoice(
        invoicing_pb.GetInvoiceRequest(account_id=account, invoice_id=invoice_id),
        timeout=DEADLINE_S,
    ).invoice


def test_a_paid_postpaid_invoice_settles_the_wallet_a_refund_unsettles_it(suite: Suite) -> None:
    invoice = postpaid_month(suite, "acme", sends=3)
    charges = sum(
        line.amount.amount_micros for line in invoice.lines if line.kind == "notifications"
    )
    assert charges == 3 * 25_000
    owed = suite.wallet.available("acme")[0]
    assert owed == -charges  # accrued below zero while postpaid
    assert invoice.status == OPEN and invoice.total.amount_micros == 80_000  # whole cents
    add_card(suite.invoicing, "acme", "card-1")
    paid = suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="acme", invoice_id=invoice.invoice_id, idempotency_key="pay-1"
        ),
        timeout=DEADLINE_S,
    )
    assert paid.invoice.status == PAID
    # The charge lines came back to the balance (not the rounding, not tax or fees), once.
    assert suite.wallet.available("acme")[0] == 0
    key = f"invoice:{invoice.invoice_id}:settle"
    assert invoice_payment_top_ups(suite, "acme") == [(key, charges, invoice.number)]
    assert suite.wired_invoicing.scheduler.settle_postpaid() == 0  # nothing left to settle

    # The card payment is refunded in full: the charges are owed again, the invoice open.
    provider_event(
        suite,
        event_id="evt-refund",
        kind="refunded",
        payment_ref=paid.payment.reference,
        amount_minor=8,
        currency_code="USD",
    )
    assert suite.wallet.available("acme")[0] == -charges
    assert get_invoice(suite, "acme", invoice.invoice_id).status == OPEN
    provider_event(  # told again: once
        suite,
        event_id="evt-refund-again",
        kind="refunded",
        payment_ref=paid.payment.reference,
        amount_minor=8,
        currency_code="USD",
    )
    assert suite.wallet.available("acme")[0] == -charges

    # Paid again, by transfer: the charges come back under a new key.
    again = suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="acme",
            invoice_id=invoice.invoice_id,
            transfer_reference="WIRE 7",
            idempotency_key="pay-2",
        ),
        timeout=DEADLINE_S,
    )
    assert again.invoice.status == PAID
    assert suite.wallet.available("acme")[0] == 0
    assert [k for k, _a, _r in invoice_payment_top_ups(suite, "acme")] == [key, f"{key}:2"]


def test_a_won_dispute_pays_the_invoice_again_and_settles_again(suite: Suite) -> None:
    invoice = postpaid_month(suite, "acme", sends=2)  # 0.05 of charges, 0.05 due
    add_card(suite.invoicing, "acme", "card-1")
    paid = suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="acme", invoice_id=invoice.invoice_id, idempotency_key="pay-1"
        ),
        timeout=DEADLINE_S,
    )
    dispute = {
        "kind": "dispute_opened",
        "payment_ref": paid.payment.reference,
        "amount_minor": 5,
        "currency_code": "USD",
        "dispute_ref": "dp_1",
    }
    provider_event(suite, event_id="evt-dispute", **dispute)
    assert suite.wallet.available("acme")[0] == -50_000
    assert get_invoice(suite, "acme", invoice.invoice_id).status == OPEN
    won = {**dispute, "kind": "dispute_closed", "won": True}
    provider_event(suite, event_id="evt-won", **won)
    provider_event(suite, event_id="evt-won-again", **won)
    assert get_invoice(suite, "acme", invoice.invoice_id).status == PAID
    assert suite.wallet.available("acme")[0] == 0


def test_an_invoice_from_before_settlement_never_moves_the_wallet(
    suite: Suite, tmp_path: Path
) -> None:
    invoice = postpaid_month(suite, "acme", sends=2)
    database = sa.create_engine(f"sqlite:///{tmp_path / 'invoicing.db'}")
    with database.begin() as connection:  # as migration 0006 leaves the invoices it finds
        connection.execute(
            invoicing_tables.invoices.update().values(wallet_settled_time=sa.func.now())
        )
    database.dispose()
    add_card(suite.invoicing, "acme", "card-1")
    paid = suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="acme", invoice_id=invoice.invoice_id, idempotency_key="pay-1"
        ),
        timeout=DEADLINE_S,
    )
    provider_event(
        suite,
        event_id="evt-refund",
        kind="refunded",
        payment_ref=paid.payment.reference,
        amount_minor=5,
        currency_code="USD",
    )
    suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="acme",
            invoice_id=invoice.invoice_id,
            transfer_reference="WIRE 8",
            idempotency_key="pay-2",
        ),
        timeout=DEADLINE_S,
    )
    assert suite.wired_invoicing.scheduler.settle_postpaid() == 0
    assert invoice_payment_top_ups(suite, "acme") == []
    assert suite.wallet.available("acme")[0] == -50_000


def test_a_partial_refund_takes_back_its_share_of_the_charges(suite: Suite) -> None:
    invoice = postpaid_month(suite, "acme", sends=4)  # 0.10 of charges, 0.10 due
    add_card(suite.invoicing, "acme", "card-1")
    paid = suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="acme", invoice_id=invoice.invoice_id, idempotency_key="pay-1"
        ),
        timeout=DEADLINE_S,
    )
    assert suite.wallet.available("acme")[0] == 0
    provider_event(
        suite,
        event_id="evt-part",
        kind="refunded",
        payment_ref=paid.payment.reference,
        amount_minor=3,
        currency_code="USD",
    )
    assert suite.wallet.available("acme")[0] == -30_000  # 3 of the 10 cents
    reopened = get_invoice(suite, "acme", invoice.invoice_id)
    assert (reopened.status, reopened.amount_due.amount_micros) == (OPEN, 30_000)


def test_an_invoice_cleared_by_a_credit_note_settles_on_the_next_pass(suite: Suite) -> None:
    invoice = postpaid_month(suite, "acme", sends=2)
    suite.invoicing.IssueCreditNote(
        invoicing_pb.IssueCreditNoteRequest(
            account_id="acme",
            invoice_id=invoice.invoice_id,
            amount=invoice.total,
            reason="goodwill",
            idempotency_key="cn-1",
        ),
        timeout=DEADLINE_S,
    )
    assert get_invoice(suite, "acme", invoice.invoice_id).status == PAID
    assert suite.wallet.available("acme")[0] == -50_000
    assert suite.wired_invoicing.scheduler.settle_postpaid() == 1  # the pass settles it
    assert suite.wallet.available("acme")[0] == 0
    assert suite.wired_invoicing.scheduler.settle_postpaid() == 0


def pay_partner_by_card(suite: Suite, days_invoice: invoice_pb2.Invoice) -> str:
    add_card(suite.invoicing, "partner", "card-1")
    paid = suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="partner", invoice_id=days_invoice.invoice_id, idempotency_key="pay-1"
        ),
        timeout=DEADLINE_S,
    )
    assert paid.invoice.status == PAID
    return paid.payment.reference


def pool(suite: Suite) -> int:
    return suite.wallet.stub.ListChannels(
        pb.ListChannelsRequest(account_id="partner"), timeout=DEADLINE_S
    ).pool_days


def test_a_refunded_partner_invoice_takes_its_days_back(suite: Suite) -> None:
    suite.wallet.create_account("partner")
    days_invoice = partner_invoice(suite.invoicing, "partner", "order-1", channels=2)
    reference = pay_partner_by_card(suite, days_invoice)
    assert pool(suite) == 60
    total_minor = days_invoice.total.amount_micros // 10_000
    provider_event(
        suite,
        event_id="evt-half",
        kind="refunded",
        payment_ref=reference,
        amount_minor=total_minor // 2,
        currency_code="USD",
    )
    assert pool(suite) == 30  # half the money, half the days
    provider_event(
        suite,
        event_id="evt-all",
        kind="refunded",
        payment_ref=reference,
        amount_minor=total_minor,
        currency_code="USD",
    )
    assert pool(suite) == 0
    shown = get_invoice(suite, "partner", days_invoice.invoice_id)
    assert shown.status == OPEN
    # Paid again: the days go back into the pool, once.
    suite.invoicing.PayInvoice(
        invoicing_pb.PayInvoiceRequest(
            account_id="partner",
            invoice_id=days_invoice.invoice_id,
            transfer_reference="WIRE 9",
            idempotency_key="pay-2",
        ),
        timeout=DEADLINE_S,
    )
    assert pool(suite) == 60
    assert suite.wired_invoicing.scheduler.sweep_days() == 0
    assert pool(suite) == 60


def test_days_allocated_beyond_the_pool_are_not_taken_back_and_the_invoice_says_so(
    suite: Suite,
) -> None:
    suite.wallet.create_account("partner")
    days_invoice = partner_invoice(suite.invoicing, "partner", "order-1", channels=2)
    reference = pay_partner_by_card(suite, days_invoice)
    suite.wallet.stub.RegisterChannel(
        pb.RegisterChannelRequest(account_id="partner", channel_id="client-1"), timeout=DEADLINE_S
    )
    suite.wallet.stub.AllocateDays(
        pb.AllocateDaysRequest(
            account_id="partner", channel_id="client-1", days=45, idempotency_key="a-1"
        ),
        timeout=DEADLINE_S,
    )
    provider_event(
        suite,
        event_id="evt-all",
        kind="refunded",
        payment_ref=reference,
        amount_minor=days_invoice.total.amount_micros // 10_000,
        currency_code="USD",
    )
    assert pool(suite) == 15  # nothing taken: the 60 days are not in the pool any more
    shown = get_invoice(suite, "partner", days_invoice.invoice_id)
    assert shown.status == OPEN
    assert "60 of its 60 days could not be taken back" in shown.payment_failure_reason
    assert "allocated to channels" in shown.payment_failure_reason


def test_taking_back_days_is_refused_beyond_the_pool_and_idempotent(suite: Suite) -> None:
    wallet = suite.wallet
    wallet.create_account("partner")
    wallet.stub.AddDays(
        pb.AddDaysRequest(account_id="partner", days=10, idempotency_key="bought"),
        timeout=DEADLINE_S,
    )
    request = pb.TakeBackDaysRequest(
        account_id="partner", days=4, reference="INV-1", idempotency_key="back-1"
    )
    assert wallet.stub.TakeBackDays(request, timeout=DEADLINE_S).pool_days == 6
    assert wallet.stub.TakeBackDays(request, timeout=DEADLINE_S).pool_days == 6  # once
    too_many = pb.TakeBackDaysRequest(account_id="partner", days=7, idempotency_key="back-2")
    with pytest.raises(grpc.RpcError) as refused:
        wallet.stub.TakeBackDays(too_many, timeout=DEADLINE_S)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "only 6 of the 7 days" in str(refused.value.details())
    assert pool(suite) == 6
