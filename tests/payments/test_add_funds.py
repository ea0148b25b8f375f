"""Add funds end to end: the real wallet and invoicing over gRPC, the Stripe adapter against the
local Stripe-speaking server. A quote, then a confirmation; the balance credited only once
paid, a receipt with the fee line, declines that say why, 3-D Secure settled by an event,
refunds and disputes that take the money back out (as a debt once spent), and a process
killed between the charge and the credit that finishes exactly once when restarted."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap as invoicing_bootstrap
from tests.harness.credentials import trusted_channel
from tests.harness.services import InProcessService, ServiceProcess
from tests.harness.stripe_server import PUBLISHABLE_KEY, StripeServer
from tests.wallet.conftest import WalletUnderTest, _serve, wallet_env

USD = 1_000_000
TIMEOUT_S = 20
COMPLETED = invoice_pb2.FUNDING_STATE_COMPLETED


@dataclass
class Stack:
    wallet: WalletUnderTest
    stripe: StripeServer
    invoicing: pb_grpc.InvoicingServiceStub
    invoicing_env: dict[str, str]
    wired: invoicing_bootstrap.Wired


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer().start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path: Path, redis_url: str, stripe_server: StripeServer) -> Iterator[Stack]:
    serving = _serve(
        wallet_env(
            f"sqlite:///{tmp_path / 'wallet.db'}", redis_url, WALLET_TOP_UP_FEE_BASIS_POINTS="200"
        )
    )
    wallet = next(serving)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'invoicing.db'}",
        "INVOICING_SCHEDULER_ENABLED": "false",
        "INVOICING_STUCK_PAYMENT_SECONDS": "0",
        "WALLET_ADDRESS": wallet.service.address,
        "METERING_ADDRESS": "127.0.0.1:1",
        "INVOICING_ACTION_EXPIRY_SECONDS": "0",
        **stripe_server.env(),
    }
    wired: list[invoicing_bootstrap.Wired] = []

    def build(e: Env) -> App:
        wired.append(invoicing_bootstrap.wire(e))
        return wired[0].app

    invoicing = InProcessService("invoicing", build, env).start()
    channel = trusted_channel(invoicing.address)
    try:
        yield Stack(wallet, stripe_server, pb_grpc.InvoicingServiceStub(channel), env, wired[0])
    finally:
        channel.close()
        invoicing.stop()
        next(serving, None)


def usd(micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", amount_micros=micros)


def save_card(stack: Stack, account: str, card: str = "pm_card_visa") -> None:
    """As the billing page does: a setup, Stripe.js completes it, the card is kept."""
    setup = stack.invoicing.StartCardSetup(
        pb.StartCardSetupRequest(account_id=account, idempotency_key=f"setup-{card}"),
        timeout=TIMEOUT_S,
    )
    assert setup.provider == "stripe" and setup.client_secret
    assert setup.publishable_key == PUBLISHABLE_KEY
    stack.stripe.complete_setup(setup.setup_id, card)
    saved = stack.invoicing.AddPaymentMethod(
        pb.AddPaymentMethodRequest(
            account_id=account, setup_id=setup.setup_id, idempotency_key=card
        ),
        timeout=TIMEOUT_S,
    ).payment_method
    assert (saved.brand, saved.last4, saved.is_default) == ("visa", "4242", True)


def add_funds(
    stub: pb_grpc.InvoicingServiceStub, account: str, amount: int, key: str
) -> invoice_pb2.Funding:
    quote = stub.QuoteFunds(
        pb.QuoteFundsRequest(account_id=account, amount=usd(amount)), timeout=TIMEOUT_S
    ).quote
    return stub.AddFunds(
        pb.AddFundsRequest(account_id=account, quote_id=quote.quote_id, idempotency_key=key),
        timeout=TIMEOUT_S,
    ).funding


def funding(stack: Stack, account: str, funding_id: str) -> invoice_pb2.Funding:
    return stack.invoicing.GetFunding(
        pb.GetFundingRequest(account_id=account, funding_id=funding_id), timeout=TIMEOUT_S
    ).funding


def send_event(
    stack: Stack, event_type: str, thing: dict[str, object]
) -> pb.HandlePaymentEventResponse:
    body, signature = stack.stripe.event(event_type, thing)
    return stack.invoicing.HandlePaymentEvent(
        pb.HandlePaymentEventRequest(provider="stripe", payload=body, signature=signature),
        timeout=TIMEOUT_S,
    )


def test_a_quote_then_a_paid_top_up_with_its_fee_and_receipt(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account)
    quote = stack.invoicing.QuoteFunds(
        pb.QuoteFundsRequest(account_id=account, amount=usd(50 * USD)), timeout=TIMEOUT_S
    ).quote
    assert (quote.amount, quote.fee, quote.total) == (usd(50 * USD), usd(USD), usd(51 * USD))
    assert stack.wallet.available(account)[0] == 0  # a quote moves nothing
    request = pb.AddFundsRequest(account_id=account, quote_id=quote.quote_id, idempotency_key="k1")
    done = stack.invoicing.AddFunds(request, timeout=TIMEOUT_S).funding
    assert done.state == COMPLETED
    assert (
        stack.invoicing.AddFunds(request, timeout=TIMEOUT_S).funding.funding_id == done.funding_id
    )
    assert stack.wallet.available(account)[0] == 50 * USD
    [intent] = [i for i in stack.stripe.intents() if i["metadata"]["account_id"] == account]
    assert (intent["amount"], intent["currency"], intent["status"]) == (5_100, "usd", "succeeded")
    assert stack.stripe.charged.count(intent["id"]) == 1
    receipt = stack.invoicing.GetInvoice(
        pb.GetInvoiceRequest(account_id=account, invoice_id=done.receipt_invoice_id),
        timeout=TIMEOUT_S,
    ).invoice
    assert receipt.kind == invoice_pb2.INVOICE_KIND_TOP_UP_RECEIPT
    assert receipt.status == invoice_pb2.INVOICE_STATUS_PAID
    assert [(line.kind, line.amount.amount_micros) for line in receipt.lines] == [
        ("top_up", 50 * USD),
        ("transaction_fee", USD),
    ]
    again = rpc_error(
        stack.invoicing.AddFunds,
        pb.AddFundsRequest(account_id=account, quote_id=quote.quote_id, idempotency_key="k2"),
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION  # a quote is confirmed once
    inexact = rpc_error(
        stack.invoicing.QuoteFunds, pb.QuoteFundsRequest(account_id=account, amount=usd(1_234_567))
    )
    assert inexact.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a whole number of USD minor units" in str(inexact.details())


def rpc_error(call: object, request: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=TIMEOUT_S)  # type: ignore[operator]
    return caught.value


def test_a_decline_leaves_the_balance_untouched_and_says_why(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account, "pm_card_chargeDeclinedInsufficientFunds")
    declined = add_funds(stack.invoicing, account, 20 * USD, "k")
    assert declined.state == invoice_pb2.FUNDING_STATE_DECLINED
    assert declined.failure_reason == "card_declined: insufficient_funds"
    assert stack.wallet.available(account)[0] == 0
    listed = stack.invoicing.ListFundings(
        pb.ListFundingsRequest(account_id=account), timeout=TIMEOUT_S
    ).fundings
    assert [(f.state, f.failure_reason) for f in listed] == [
        (invoice_pb2.FUNDING_STATE_DECLINED, "card_declined: insufficient_funds")
    ]


def test_3d_secure_waits_for_the_customer_then_the_event_credits_once(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account, "pm_card_authenticationRequired")
    waiting = add_funds(stack.invoicing, account, 20 * USD, "k")
    assert waiting.state == invoice_pb2.FUNDING_STATE_REQUIRES_ACTION
    assert waiting.action_client_secret.endswith("_secret_local")
    assert stack.wallet.available(account)[0] == 0
    [intent] = [i for i in stack.stripe.intents() if i["metadata"]["account_id"] == account]
    settled = stack.stripe.authenticate(intent["id"])
    first = send_event(stack, "payment_intent.succeeded", settled)
    assert not first.duplicate
    body, signature = stack.stripe.event("payment_intent.succeeded", settled)
    request = pb.HandlePaymentEventRequest(provider="stripe", payload=body, signature=signature)
    assert not stack.invoicing.HandlePaymentEvent(request, timeout=TIMEOUT_S).duplicate
    assert stack.invoicing.HandlePaymentEvent(request, timeout=TIMEOUT_S).duplicate
    assert funding(stack, account, waiting.funding_id).state == COMPLETED
    assert stack.wallet.available(account)[0] == 20 * USD
    forged = pb.HandlePaymentEventRequest(provider="stripe", payload=body, signature="t=1,v1=00")
    assert rpc_error(stack.invoicing.HandlePaymentEvent, forged).code() == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_3d_secure_never_completed_expires_and_the_balance_stays_untouched(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account, "pm_card_authenticationRequired")
    waiting = add_funds(stack.invoicing, account, 20 * USD, "k")
    assert waiting.state == invoice_pb2.FUNDING_STATE_REQUIRES_ACTION
    assert stack.wired.scheduler.expire_unauthenticated() == 1  # the bound is 0 s here
    expired = funding(stack, account, waiting.funding_id)
    assert expired.state == invoice_pb2.FUNDING_STATE_EXPIRED
    assert "not completed in time" in expired.failure_reason
    [intent] = [i for i in stack.stripe.intents() if i["metadata"]["account_id"] == account]
    assert intent["status"] == "canceled" and intent["id"] not in stack.stripe.charged
    assert stack.wallet.available(account)[0] == 0
    # Completing it now is too late: Stripe refuses a cancelled intent, nothing is credited.
    assert stack.wired.scheduler.expire_unauthenticated() == 0
    assert funding(stack, account, waiting.funding_id).state == invoice_pb2.FUNDING_STATE_EXPIRED


def test_3d_secure_completed_just_before_the_bound_is_paid_not_expired(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account, "pm_card_authenticationRequired")
    waiting = add_funds(stack.invoicing, account, 20 * USD, "k")
    [intent] = [i for i in stack.stripe.intents() if i["metadata"]["account_id"] == account]
    stack.stripe.authenticate(intent["id"])  # its webhook event has not arrived yet
    stack.wired.scheduler.expire_unauthenticated()
    assert funding(stack, account, waiting.funding_id).state == COMPLETED
    assert stack.wallet.available(account)[0] == 20 * USD
    assert stack.stripe.charged.count(intent["id"]) == 1


def test_refunds_and_disputes_take_the_money_back_even_once_spent(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account)
    done = add_funds(stack.invoicing, account, 10 * USD, "k")  # card paid 10.20
    [intent] = [i for i in stack.stripe.intents() if i["metadata"]["account_id"] == account]
    refund = stack.stripe.refund(intent["id"], 300)  # 3.00 back to the card
    send_event(stack, "charge.refunded", refund)
    send_event(stack, "charge.refunded", refund)  # the same refund told again: once
    assert stack.wallet.available(account)[0] == 7 * USD
    for _ in range(4):  # spend: 4 sends at 0.025 each... the balance stays positive here
        stack.wallet.authorise(account)
    spent = 4 * 25_000
    dispute = stack.stripe.dispute(intent["id"], 720)  # the rest of the payment, 7.20
    send_event(stack, "charge.dispute.created", dispute)
    # 7.00 of the amount (already partly spent) and 0.20 of the fee came back out: a debt.
    assert stack.wallet.available(account)[0] == -spent
    assert done.state == COMPLETED


def test_a_won_dispute_puts_back_the_money_and_the_fee(stack: Stack) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account)
    add_funds(stack.invoicing, account, 10 * USD, "k")  # card paid 10.20
    [intent] = [i for i in stack.stripe.intents() if i["metadata"]["account_id"] == account]
    dispute = stack.stripe.dispute(intent["id"], 1_020)
    send_event(stack, "charge.dispute.created", dispute)
    assert stack.wallet.available(account)[0] == 0
    send_event(stack, "charge.dispute.closed", {**dispute, "status": "won"})
    send_event(stack, "charge.dispute.closed", {**dispute, "status": "won"})  # told twice
    assert stack.wallet.available(account)[0] == 10 * USD
    listed = stack.wallet.stub.ListTopUps(
        wallet_pb.ListTopUpsRequest(account_id=account), timeout=TIMEOUT_S
    ).top_ups
    [won] = [t for t in listed if t.idempotency_key.startswith("dispute-won:")]
    assert (won.amount.amount_micros, won.fee.amount_micros) == (10 * USD, USD // 5)


def test_a_process_killed_between_the_charge_and_the_credit_finishes_exactly_once(
    stack: Stack, tmp_path: Path
) -> None:
    account = stack.wallet.create_account()
    save_card(stack, account)
    env = {**stack.invoicing_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}"}
    first = ServiceProcess("invoicing", env, tmp_path).start()
    try:
        channel = trusted_channel(first.address)
        stub = pb_grpc.InvoicingServiceStub(channel)
        stub.AddPaymentMethod(  # the card, as known to this invoicing database
            pb.AddPaymentMethodRequest(
                account_id=account,
                payment_method=invoice_pb2.PaymentMethod(
                    brand="visa",
                    last4="4242",
                    exp_month=12,
                    exp_year=2099,
                    provider_token="pm_card_visa",
                ),
                idempotency_key="card",
            ),
            timeout=TIMEOUT_S,
        )
        quote = stub.QuoteFunds(
            pb.QuoteFundsRequest(account_id=account, amount=usd(30 * USD)), timeout=TIMEOUT_S
        ).quote
        request = pb.AddFundsRequest(
            account_id=account, quote_id=quote.quote_id, idempotency_key="k"
        )
        charged_before = len(stack.stripe.charged)
        with stack.stripe.holding_confirms():
            caller = threading.Thread(target=_ignore_errors, args=(stub.AddFunds, request))
            caller.start()
            deadline = time.monotonic() + 15
            while len(stack.stripe.charged) == charged_before:  # the card is charged...
                assert time.monotonic() < deadline
                time.sleep(0.02)
            first.kill()  # ...and the process dies before it hears so
            caller.join(timeout=TIMEOUT_S)
        channel.close()
        assert stack.wallet.available(account)[0] == 0
        second = ServiceProcess("invoicing", env, tmp_path).start()
        try:
            with trusted_channel(second.address) as channel:
                stub = pb_grpc.InvoicingServiceStub(channel)
                finished = stub.AddFunds(request, timeout=TIMEOUT_S).funding
                assert finished.state == COMPLETED
                assert stub.AddFunds(request, timeout=TIMEOUT_S).funding == finished
        finally:
            second.kill()  # its drain is tested elsewhere; here only its answers count
    finally:
        first.kill()
    assert len(stack.stripe.charged) == charged_before + 1
    assert stack.wallet.available(account)[0] == 30 * USD
    confirms = [p for m, p in stack.stripe.requests if p.endswith("/confirm")]
    assert len(confirms) == len(set(confirms))  # never confirmed twice: read back by id


def _ignore_errors(call: object, request: object) -> None:
    with contextlib.suppress(grpc.RpcError):
        call(request, timeout=TIMEOUT_S)  # type: ignore[operator]


def test_the_none_provider_refuses_with_a_clear_reason() -> None:
    provider = invoicing_bootstrap.payment_provider_from(Env({}))
    assert provider.name == "none"
    with pytest.raises(Exception, match="no payment provider is configured"):
        provider.ensure_customer("acme", "k")
