"""Wallet, metering and invoicing served together over gRPC: a notifications invoice redeems
the wallet's credits once; a paid partner-days invoice fills the wallet's days pool once.

The account reaches metering the way the wallet announces it (its outbox, then
billing.wallet.accounts); invoicing calls the real wallet at WALLET_ADDRESS. Only the card
provider is a fake (it is outside)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
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
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.metering import bootstrap as metering_bootstrap
from tests.harness.postgres import PostgresCluster
from tests.harness.services import InProcessService
from tests.invoicing.helpers import create_plan, partner_invoice, run_cycle, subscribe
from tests.invoicing.test_end_to_end import delivered_template
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, _serve, wallet_env
from tests.wallet.helpers import in_seconds, usd


@dataclass
class Suite:
    wallet: WalletUnderTest
    metering: metering_grpc.MeteringServiceStub
    invoicing: invoicing_grpc.InvoicingServiceStub
    wired_metering: metering_bootstrap.Metering


def other_database(request: pytest.FixtureRequest, database_url: str, name: str) -> str:
    """Each service its own database: they share no tables."""
    if database_url.startswith("sqlite"):
        return database_url.replace("test.db", f"{name}.db")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()


@pytest.fixture
def suite(request: pytest.FixtureRequest, database_url: str, redis_url: str) -> Iterator[Suite]:
    serving = _serve(wallet_env(database_url, redis_url))
    wallet = next(serving)
    wired: list[metering_bootstrap.Metering] = []

    def build_metering(env: Env) -> App:
        wired.append(metering_bootstrap.wire(env))
        return wired[0].app

    metering = InProcessService(
        "metering",
        build_metering,
        {
            "DATABASE_URL": other_database(request, database_url, "metering"),
            "REDIS_URL": redis_url,
            "METERING_WORKERS_ENABLED": "false",
            "METERING_CONSUMER_NAME": "wallet-e2e",
        },
    ).start()
    invoicing = InProcessService(
        "invoicing",
        lambda env: invoicing_bootstrap.wire(env, payment_provider=FakePaymentProvider()).app,
        {
            "DATABASE_URL": other_database(request, database_url, "invoicing"),
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
            invoicing_grpc.InvoicingServiceStub(channels[1]),
            wired[0],
        )
    finally:
        for channel in channels:
            channel.close()
        invoicing.stop()
        metering.stop()
        next(serving, None)


def announce(suite: Suite) -> None:
    """The wallet's outbox publishes the account; metering's consumer takes it in."""
    while suite.wallet.wallet.outbox.step():
        pass
    suite.wired_metering.accounts_consumer.drain()


def credits_of(suite: Suite, account: str) -> pb.ListCreditsResponse:
    return suite.wallet.stub.ListCredits(
        pb.ListCreditsRequest(account_id=account), timeout=DEADLINE_S
    )


def test_a_notifications_invoice_redeems_the_wallets_credits_once(suite: Suite) -> None:
    wallet = suite.wallet
    wallet.create_account(
        "acme",
        time_zone="Asia/Kolkata",
        business_country="IN",
        funding_mode=account_pb2.FUNDING_MODE_POSTPAID,  # billed on the notifications invoice
        credit_limit_micros=1_000_000,
    )
    announce(suite)
    events = [
        delivered_template("acme", f"m-{n}", f"+1415555010{n}", "2026-03-15T08:00:00+00:00")
        for n in range(3)
    ]
    recorded = suite.metering.RecordEvents(
        metering_pb.RecordEventsRequest(events=events), timeout=DEADLINE_S
    )
    assert recorded.accepted_count == 3
    credit = wallet.stub.GrantCredit(
        pb.GrantCreditRequest(
            account_id="acme",
            amount=usd(30_000),
            expire_time=in_seconds(30 * 86_400),
            applies_to=["notifications_invoice"],
            idempotency_key="welcome",
        ),
        timeout=DEADLINE_S,
    ).credit

    create_plan(suite.invoicing)
    subscribe(suite.invoicing, "acme", "2026-03-10")
    issued = {i.kind: i for i in run_cycle(suite.invoicing, "2026-04-10").invoices}
    notifications = issued[invoice_pb2.INVOICE_KIND_NOTIFICATIONS]
    charged = notifications.lines[0].amount.amount_micros
    assert charged > 30_000

    assert notifications.credits_applied == usd(30_000)
    listed = credits_of(suite, "acme")
    assert [c.remaining.amount_micros for c in listed.credits] == [0]
    assert [(r.credit_id, r.invoice_id, r.amount.amount_micros) for r in listed.redemptions] == [
        (credit.credit_id, notifications.invoice_id, 30_000)
    ]
    run_cycle(suite.invoicing, "2026-04-10")  # billed again: nothing redeemed twice
    assert len(credits_of(suite, "acme").redemptions) == 1


def test_a_paid_partner_days_invoice_fills_the_wallets_days_pool_once(suite: Suite) -> None:
    wallet = suite.wallet
    wallet.create_account("partner")
    invoice = partner_invoice(suite.invoicing, "partner", "order-1", channels=2)
    assert invoice.days == 60
    pay = invoicing_pb.PayInvoiceRequest(
        account_id="partner",
        invoice_id=invoice.invoice_id,
        transfer_reference="NEFT-0001",
        idempotency_key="pay-1",
    )
    paid = suite.invoicing.PayInvoice(pay, timeout=DEADLINE_S)
    assert paid.invoice.status == invoice_pb2.INVOICE_STATUS_PAID
    suite.invoicing.PayInvoice(pay, timeout=DEADLINE_S)
    shown = suite.invoicing.GetInvoice(
        invoicing_pb.GetInvoiceRequest(account_id="partner", invoice_id=invoice.invoice_id),
        timeout=DEADLINE_S,
    ).invoice
    assert shown.days_credited
    channels = wallet.stub.ListChannels(
        pb.ListChannelsRequest(account_id="partner"), timeout=DEADLINE_S
    )
    assert channels.pool_days == 60
    # The days are there to allocate.
    wallet.stub.RegisterChannel(
        pb.RegisterChannelRequest(account_id="partner", channel_id="client-1"), timeout=DEADLINE_S
    )
    allocated = wallet.stub.AllocateDays(
        pb.AllocateDaysRequest(
            account_id="partner", channel_id="client-1", days=30, idempotency_key="a-1"
        ),
        timeout=DEADLINE_S,
    )
    assert allocated.pool_days == 30 and allocated.channel.days_remaining == 30


def test_a_funding_switch_waits_for_the_next_billing_cycle(suite: Suite) -> None:
    import datetime as dt

    from services.invoicing.domain import cycles

    wallet = suite.wallet
    wallet.create_account("switcher")
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=5)
    create_plan(suite.invoicing)
    subscribe(suite.invoicing, "switcher", start.isoformat())
    answer = suite.invoicing.ChangeFundingMode(
        invoicing_pb.ChangeFundingModeRequest(
            account_id="switcher",
            funding_mode=account_pb2.FUNDING_MODE_POSTPAID,
            credit_limit_micros=5_000_000,
            reason="moves to monthly invoices",
        ),
        timeout=DEADLINE_S,
    )
    next_start = cycles.cycle_containing(start, today, 1).end + dt.timedelta(days=1)
    assert answer.effective_date == next_start.isoformat()
    account = wallet.stub.GetAccount(
        pb.GetAccountRequest(account_id="switcher"), timeout=DEADLINE_S
    ).account
    assert account.funding_mode == account_pb2.FUNDING_MODE_PREPAID  # this cycle stays prepaid
    periods = wallet.stub.GetFundingPeriods(
        pb.GetFundingPeriodsRequest(
            account_id="switcher",
            from_date=today.isoformat(),
            to_date=next_start.isoformat(),
        ),
        timeout=DEADLINE_S,
    ).periods
    assert [(p.funding_mode, p.from_date) for p in periods] == [
        (account_pb2.FUNDING_MODE_PREPAID, today.isoformat()),
        (account_pb2.FUNDING_MODE_POSTPAID, next_start.isoformat()),
    ]
    with pytest.raises(grpc.RpcError) as unknown:
        suite.invoicing.ChangeFundingMode(
            invoicing_pb.ChangeFundingModeRequest(
                account_id="nobody", funding_mode=account_pb2.FUNDING_MODE_POSTPAID
            ),
            timeout=DEADLINE_S,
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
