"""How partners are billed, through the real wallet, metering and invoicing over gRPC, on
SQLite and PostgreSQL: in advance on the anchor day (the seed's 75 channels x 30 = 2,250 days,
credited once when paid), by the channel-days used once the month has ended (channels deleted
and registered again mid-month), each cycle invoiced once however often the run goes, and a
change of billing from the next cycle. The days of channels and the invoicing clock are moved
by the test; only the card provider is a fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.wallet.v1 import authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap as invoicing_bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from tests.harness.credentials import trusted_channel
from tests.harness.services import InProcessService
from tests.invoicing.helpers import add_card, run_cycle, usd
from tests.wallet.clocked import MovableClock, serve_clocked
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, wallet_env
from tests.wallet.helpers import field_of, refused
from tests.wallet.test_with_invoicing import other_database

USD = 1_000_000
ZONE = "America/Sao_Paulo"  # UTC-3: a day there begins three hours after it does in UTC


@dataclass
class Suite:
    wallet: WalletUnderTest
    invoicing: invoicing_grpc.InvoicingServiceStub
    wired: invoicing_bootstrap.Wired
    clock: MovableClock

    def at(self, local: str) -> None:
        """Moves the wallet's days and invoicing's clock to a time where the partner is."""
        self.clock.at(local, ZONE)

    def register(self, account: str, *channels: str) -> None:
        for channel in channels:
            self.wallet.stub.RegisterChannel(
                wallet_pb.RegisterChannelRequest(account_id=account, channel_id=channel),
                timeout=DEADLINE_S,
            )

    def delete(self, account: str, channel: str) -> None:
        self.wallet.stub.DeleteChannel(
            wallet_pb.DeleteChannelRequest(account_id=account, channel_id=channel),
            timeout=DEADLINE_S,
        )

    def contract(self, account: str, **fields: Any) -> pb.PartnerContract:
        fields.setdefault("price_per_channel_month", usd(20 * USD))
        return self.invoicing.SetPartnerContract(
            pb.SetPartnerContractRequest(account_id=account, **fields), timeout=DEADLINE_S
        ).contract

    def shown(self, account: str) -> pb.PartnerContract:
        return self.invoicing.GetPartnerContract(
            pb.GetPartnerContractRequest(account_id=account), timeout=DEADLINE_S
        ).contract

    def run(self, as_of: str, account: str = "") -> pb.RunBillingCycleResponse:
        return run_cycle(self.invoicing, as_of, account)

    def pay(self, account: str, invoice_id: str, key: str) -> invoice_pb2.Invoice:
        request = pb.PayInvoiceRequest(
            account_id=account,
            invoice_id=invoice_id,
            transfer_reference=f"TED-{key}",
            idempotency_key=key,
        )
        return self.invoicing.PayInvoice(request, timeout=DEADLINE_S).invoice

    def pool(self, account: str) -> int:
        return self.wallet.stub.ListChannels(
            wallet_pb.ListChannelsRequest(account_id=account), timeout=DEADLINE_S
        ).pool_days


@pytest.fixture
def suite(request: pytest.FixtureRequest, database_url: str, redis_url: str) -> Iterator[Suite]:
    clock = MovableClock(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    serving = serve_clocked(wallet_env(database_url, redis_url), clock)
    wallet = next(serving)
    metering = InProcessService(
        "metering",
        _metering,
        {
            "DATABASE_URL": other_database(request, database_url, "metering"),
            "REDIS_URL": redis_url,
            "METERING_WORKERS_ENABLED": "false",
            "METERING_CONSUMER_NAME": "partner-e2e",
        },
    ).start()
    wired: list[invoicing_bootstrap.Wired] = []

    def build_invoicing(env: Env) -> App:
        wired.append(
            invoicing_bootstrap.wire(env, payment_provider=FakePaymentProvider(), clock=clock)
        )
        return wired[0].app

    invoicing = InProcessService(
        "invoicing",
        build_invoicing,
        {
            "DATABASE_URL": other_database(request, database_url, "invoicing"),
            "INVOICING_SCHEDULER_ENABLED": "false",
            "METERING_ADDRESS": metering.address,
            "WALLET_ADDRESS": wallet.service.address,
        },
    ).start()
    channel = trusted_channel(invoicing.address)
    try:
        yield Suite(wallet, invoicing_grpc.InvoicingServiceStub(channel), wired[0], clock)
    finally:
        channel.close()
        invoicing.stop()
        metering.stop()
        next(serving, None)


def _metering(env: Env) -> App:
    from services.metering import bootstrap as metering_bootstrap

    return metering_bootstrap.wire(env).app


def partner_invoices(suite: Suite, account: str) -> list[invoice_pb2.Invoice]:
    listed = suite.invoicing.ListInvoices(
        pb.ListInvoicesRequest(account_id=account), timeout=DEADLINE_S
    )
    return [i for i in listed.invoices if i.kind == invoice_pb2.INVOICE_KIND_PARTNER_DAYS]


def test_in_advance_the_seeds_75_channels_are_billed_on_the_anchor_day_and_2250_days_credited_once(
    suite: Suite,
) -> None:
    partner = suite.wallet.create_account("partner", time_zone=ZONE)
    suite.at("2026-03-25 10:00")
    suite.register(partner, *(f"client-{n}" for n in range(75)))
    suite.register(partner, "gone")
    suite.at("2026-03-31 22:00")
    suite.delete(partner, "gone")  # deleted before the anchor day: not billed
    contract = suite.contract(
        partner, billing=pb.PARTNER_BILLING_IN_ADVANCE, start_date="2026-04-01"
    )
    assert contract.billing == pb.PARTNER_BILLING_ON_REQUEST  # nothing scheduled before it
    assert (contract.next_billing, contract.next_billing_date) == (
        pb.PARTNER_BILLING_IN_ADVANCE,
        "2026-04-01",
    )
    assert suite.run("2026-03-31").issued_count == 0

    suite.at("2026-04-01 09:00")
    suite.register(partner, "late")  # registered on the anchor day: billed from next month
    assert suite.shown(partner).billing == pb.PARTNER_BILLING_IN_ADVANCE
    issued = suite.run("2026-04-01")
    assert [i.kind for i in issued.invoices] == [invoice_pb2.INVOICE_KIND_PARTNER_DAYS]
    invoice = issued.invoices[0]
    assert [line.description for line in invoice.lines] == [
        "WhatsApp channels: 75 channels \u00d7 30 days (2,250 days), 1\u201330 Apr 2026"
    ]
    line = invoice.lines[0]
    assert (line.quantity_milli, line.unit_price, line.kind) == (
        75_000,
        usd(20 * USD),
        "partner_days",
    )
    assert invoice.total == usd(1_500 * USD)
    assert invoice.days == 2_250
    assert (invoice.period_start_date, invoice.period_end_date) == ("2026-04-01", "2026-04-30")
    assert invoice.status == invoice_pb2.INVOICE_STATUS_OPEN

    assert suite.run("2026-04-01").issued_count == 0  # a rerun issues nothing
    pdf = b"".join(
        chunk.body.data
        for chunk in suite.invoicing.DownloadInvoicePdf(
            pb.DownloadInvoicePdfRequest(account_id=partner, invoice_id=invoice.invoice_id),
            timeout=DEADLINE_S,
        )
    )
    assert pdf.startswith(b"%PDF")
    assert suite.pool(partner) == 0  # nothing credited before it is paid

    paid = suite.pay(partner, invoice.invoice_id, "pay-april")
    assert paid.status == invoice_pb2.INVOICE_STATUS_PAID
    suite.pay(partner, invoice.invoice_id, "pay-april")  # the same payment again
    assert suite.wired.scheduler.sweep_days() == 0  # nothing left to credit
    assert suite.pool(partner) == 2_250
    balance = suite.wallet.stub.GetBalance(
        wallet_pb.GetBalanceRequest(account_id=partner), timeout=DEADLINE_S
    )
    pools = [
        b for b in balance.balances if b.kind == funds_pb2.ASSET_KIND_DAYS and not b.channel_id
    ]
    assert [b.days for b in pools] == [2_250]

    # A month later the scheduler issues May's, with the channel registered on 1 April.
    suite.at("2026-05-02 09:00")
    suite.wired.scheduler.tick()
    may = [i for i in partner_invoices(suite, partner) if i.period_start_date == "2026-05-01"]
    assert [i.days for i in may] == [76 * 30]
    assert suite.run("2026-05-02").issued_count == 0
    assert len(partner_invoices(suite, partner)) == 2


def test_a_scheduled_partner_invoice_is_charged_to_the_default_card_and_the_days_credited(
    suite: Suite,
) -> None:
    paying = suite.wallet.create_account("card-partner", time_zone=ZONE)
    declined = suite.wallet.create_account("declined-partner", time_zone=ZONE)
    add_card(suite.invoicing, paying, "pm_partner", default=True)
    add_card(suite.invoicing, declined, "pm_declined", "tok_decline_insufficient_funds", True)
    suite.at("2026-03-20 10:00")
    for partner in (paying, declined):
        suite.register(partner, "one", "two")
        suite.contract(partner, billing=pb.PARTNER_BILLING_IN_ADVANCE, start_date="2026-04-01")
    suite.at("2026-04-01 09:00")
    issued = {i.account_id: i for i in suite.run("2026-04-01").invoices}
    assert set(issued) == {paying, declined}

    [paid] = partner_invoices(suite, paying)
    assert paid.status == invoice_pb2.INVOICE_STATUS_PAID and paid.total == usd(40 * USD)
    assert suite.pool(paying) == 60  # 2 channels x 30 days, credited once paid
    [unpaid] = partner_invoices(suite, declined)
    assert unpaid.status == invoice_pb2.INVOICE_STATUS_OPEN
    assert "insufficient_funds" in unpaid.payment_failure_reason
    assert suite.pool(declined) == 0
    assert suite.run("2026-04-01").issued_count == 0  # nothing charged or issued twice
    assert [i.status for i in partner_invoices(suite, paying)] == [invoice_pb2.INVOICE_STATUS_PAID]


def test_days_used_are_billed_the_day_after_the_month_ends_with_channels_deleted_and_added_again(
    suite: Suite,
) -> None:
    partner = suite.wallet.create_account("postpaid-partner", time_zone=ZONE)
    suite.at("2026-02-20 10:00")
    suite.register(partner, "a", "b", "e")
    suite.contract(
        partner,
        price_per_channel_month=usd(30 * USD),  # 1 USD a channel-day
        billing=pb.PARTNER_BILLING_DAYS_USED,
        start_date="2026-03-01",
    )
    suite.at("2026-03-05 09:00")
    suite.delete(partner, "e")
    suite.at("2026-03-05 17:00")
    suite.register(partner, "e")  # deleted and back on one day: 31 days
    suite.at("2026-03-10 09:00")
    suite.delete(partner, "b")
    suite.at("2026-03-15 08:00")
    suite.register(partner, "d")
    suite.at("2026-03-15 20:00")
    suite.delete(partner, "d")  # registered and deleted on one day: no day
    suite.at("2026-03-25 09:00")
    suite.register(partner, "b")  # b: 1..9 and 25..31, 16 days
    suite.at("2026-03-31 23:30")
    suite.register(partner, "c")  # 1 day

    # 02:30 UTC on 1 April: the month has ended in UTC, not yet where the partner is.
    assert suite.run("2026-04-01").issued_count == 0
    suite.at("2026-04-01 08:00")
    issued = suite.run("2026-04-01")
    assert issued.issued_count == 1
    invoice = issued.invoices[0]
    channel_days = 31 + 16 + 1 + 31
    assert [line.description for line in invoice.lines] == [
        f"WhatsApp channels: {channel_days} channel-days used 1\u201331 Mar 2026 (4 channels)"
    ]
    assert invoice.lines[0].kind == "partner_days_used"
    assert invoice.lines[0].quantity_milli == channel_days * 1000
    assert invoice.total == usd(channel_days * USD)
    assert invoice.days == 0
    assert suite.run("2026-04-01").issued_count == 0
    suite.at("2026-04-03 09:00")
    assert suite.run("2026-04-03").issued_count == 0

    # Paid: no days change hands, and its channels send without any.
    suite.pay(partner, invoice.invoice_id, "pay-march")
    assert suite.pool(partner) == 0
    suite.wallet.top_up(partner, 1 * USD)
    sent = suite.wallet.authorise(partner, channel_id="b")
    assert sent.decision == authorise_pb2.DECISION_ALLOWED, sent
    # Such a partner buys no days.
    refusal = refused(
        suite.invoicing.CreatePartnerDaysInvoice,
        pb.CreatePartnerDaysInvoiceRequest(account_id=partner, channels=5, idempotency_key="k"),
    )
    assert refusal.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "buys no days" in (refusal.details() or "")


def test_a_change_of_billing_applies_from_the_next_cycle_so_no_month_is_billed_twice(
    suite: Suite,
) -> None:
    partner = suite.wallet.create_account("switching-partner", time_zone=ZONE)
    suite.at("2026-02-25 10:00")
    suite.register(partner, *(f"c{n}" for n in range(10)))
    suite.contract(partner, billing=pb.PARTNER_BILLING_DAYS_USED, start_date="2026-03-01")
    suite.at("2026-03-15 10:00")
    shown = suite.contract(partner, billing=pb.PARTNER_BILLING_IN_ADVANCE)
    assert shown.billing == pb.PARTNER_BILLING_DAYS_USED  # March stays billed by days used
    assert (shown.next_billing, shown.next_billing_date) == (
        pb.PARTNER_BILLING_IN_ADVANCE,
        "2026-04-01",
    )
    assert shown.start_date == "2026-03-01"
    moved = refused(
        suite.invoicing.SetPartnerContract,
        pb.SetPartnerContractRequest(
            account_id=partner, price_per_channel_month=usd(20 * USD), start_date="2026-03-10"
        ),
    )
    assert moved.code() == grpc.StatusCode.FAILED_PRECONDITION  # the anchor day is fixed

    suite.at("2026-04-01 10:00")
    issued = {i.lines[0].kind: i for i in suite.run("2026-04-01").invoices}
    assert issued["partner_days_used"].lines[0].quantity_milli == 10 * 31 * 1000
    assert issued["partner_days_used"].period_start_date == "2026-03-01"
    assert issued["partner_days"].days == 10 * 30
    assert issued["partner_days"].period_start_date == "2026-04-01"
    assert suite.run("2026-04-01").issued_count == 0
    # Days bought in advance now: it can no longer go back to days used.
    suite.pay(partner, issued["partner_days"].invoice_id, "pay-april")
    back = refused(
        suite.invoicing.SetPartnerContract,
        pb.SetPartnerContractRequest(
            account_id=partner,
            price_per_channel_month=usd(20 * USD),
            billing=pb.PARTNER_BILLING_DAYS_USED,
        ),
    )
    assert back.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "bought days" in (back.details() or "")


def test_a_partner_holding_an_invoice_for_days_is_not_billed_by_days_used(suite: Suite) -> None:
    partner = suite.wallet.create_account("days-partner", time_zone=ZONE)
    suite.contract(partner)
    suite.invoicing.CreatePartnerDaysInvoice(
        pb.CreatePartnerDaysInvoiceRequest(account_id=partner, channels=2, idempotency_key="o-1"),
        timeout=DEADLINE_S,
    )
    unpaid = refused(
        suite.invoicing.SetPartnerContract,
        pb.SetPartnerContractRequest(
            account_id=partner,
            price_per_channel_month=usd(20 * USD),
            billing=pb.PARTNER_BILLING_DAYS_USED,
            start_date="2026-03-01",
        ),
    )
    assert unpaid.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert suite.shown(partner).billing == pb.PARTNER_BILLING_ON_REQUEST


def test_contracts_refuse_bad_input_and_unknown_accounts(suite: Suite) -> None:
    partner = suite.wallet.create_account("checked-partner", time_zone=ZONE)
    price = usd(20 * USD)
    unknown = refused(
        suite.invoicing.SetPartnerContract,
        pb.SetPartnerContractRequest(account_id="nobody", price_per_channel_month=price),
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    for fields, field in (
        ({"billing": 7}, "billing"),
        ({"billing": pb.PARTNER_BILLING_IN_ADVANCE}, "start_date"),  # required the first time
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "x" * 5_000}, "start_date"),
        ({"start_date": "2026-01-15"}, "start_date"),  # more than 31 days back
        ({"start_date": "2027-06-01"}, "start_date"),  # more than a year ahead
        ({"idempotency_key": "k" * 500}, "idempotency_key"),
        (
            {"price_per_channel_month": usd(20 * USD, "EUR")},
            "price_per_channel_month.currency_code",
        ),
        ({"price_per_channel_month": usd(10**13)}, "price_per_channel_month.amount_micros"),
    ):
        request = pb.SetPartnerContractRequest(account_id=partner, price_per_channel_month=price)
        for name, value in fields.items():
            if isinstance(value, type(price)):
                getattr(request, name).CopyFrom(value)
            else:
                setattr(request, name, value)
        error = refused(suite.invoicing.SetPartnerContract, request)
        assert field_of(error) == field, (fields, error.details())
        assert len(error.details() or "") < 300
    missing = refused(
        suite.invoicing.GetPartnerContract, pb.GetPartnerContractRequest(account_id=partner)
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    # The same key answers the first outcome.
    request = pb.SetPartnerContractRequest(
        account_id=partner,
        price_per_channel_month=price,
        billing=pb.PARTNER_BILLING_IN_ADVANCE,
        start_date="2026-03-10",
        idempotency_key="contract-1",
    )
    first = suite.invoicing.SetPartnerContract(request, timeout=DEADLINE_S).contract
    again = suite.invoicing.SetPartnerContract(request, timeout=DEADLINE_S).contract
    assert again == first
    unknown_run = refused(
        suite.invoicing.RunBillingCycle,
        pb.RunBillingCycleRequest(as_of_date="2026-03-01", account_id="nobody"),
    )
    assert unknown_run.code() == grpc.StatusCode.NOT_FOUND
