"""Auto-recharge through the real services, each its own process with its background loops:
two wallet processes share the account, invoicing charges the card with the Stripe adapter
against the local Stripe-speaking server. A crossing is charged once however many sends race
on both wallets; a declined card backs off, stops after four attempts and alerts; invoicing
killed between the charge and the credit finishes the recharge exactly once when restarted."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis
from billing.common.v1 import category_pb2, money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.wallet.v1 import account_pb2, authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from services.common import event_streams
from tests.harness.postgres import PostgresCluster
from tests.harness.services import ServiceProcess
from tests.harness.stripe_server import StripeServer

TIMEOUT_S = 10
WAIT_S = 45
SEND = 25_000  # a US marketing template, USD 0.025
CENT = 10_000


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer().start()
    yield server
    server.stop()


@dataclass
class Services:
    wallets: list[wallet_grpc.WalletServiceStub]
    invoicing_env: dict[str, str]
    tmp_path: Path
    started: list[ServiceProcess]
    channels: list[grpc.Channel]

    def start_invoicing(self, name: str) -> invoicing_grpc.InvoicingServiceStub:
        log_dir = self.tmp_path / name
        log_dir.mkdir(exist_ok=True)
        process = ServiceProcess("invoicing", self.invoicing_env, log_dir).start()
        self.started.append(process)
        channel = grpc.insecure_channel(process.address)
        self.channels.append(channel)
        return invoicing_grpc.InvoicingServiceStub(channel)


@pytest.fixture
def start_services(
    tmp_path: Path, redis_url: str, postgres: PostgresCluster, stripe_server: StripeServer
) -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def start(wallets: int = 2, **wallet_settings: str) -> Services:
        wallet_env = {
            "DATABASE_URL": postgres.create_database(),
            "REDIS_URL": redis_url,
            "WALLET_PARTITIONS": "4",
            "WALLET_WORKER_INTERVAL_SECONDS": "0.05",
            "WALLET_WORKER_IDLE_MAX_SECONDS": "0.2",
            "STREAM_RETRY_FIRST_MS": "500",
            **wallet_settings,
        }
        services = Services([], {}, tmp_path, [], [])
        made.append(services)
        for n in range(wallets):
            log_dir = tmp_path / f"wallet-{n}"
            log_dir.mkdir()
            env = {**wallet_env, "WALLET_CONSUMER_NAME": f"wallet-{n}"}
            process = ServiceProcess("wallet", env, log_dir).start()
            services.started.append(process)
            channel = grpc.insecure_channel(process.address)
            services.channels.append(channel)
            services.wallets.append(wallet_grpc.WalletServiceStub(channel))
        services.invoicing_env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'invoicing.db'}",
            "REDIS_URL": redis_url,
            "WALLET_ADDRESS": services.started[0].address,
            "METERING_ADDRESS": "127.0.0.1:1",
            "STREAM_RETRY_FIRST_MS": "500",
            **stripe_server.env(),
        }
        return services

    yield start
    for services in made:
        for channel in services.channels:
            channel.close()
        for process in services.started:
            process.kill()


def new_account(wallet: wallet_grpc.WalletServiceStub, **profile: object) -> str:
    account = f"acct-{uuid.uuid4().hex[:10]}"
    wallet.CreateAccount(
        pb.CreateAccountRequest(
            profile=account_pb2.AccountProfile(
                account_id=account,
                currency_code="USD",
                time_zone="UTC",
                **profile,  # type: ignore[arg-type]
            )
        ),
        timeout=TIMEOUT_S,
    )
    return account


def save_card(invoicing: invoicing_grpc.InvoicingServiceStub, account: str, card: str) -> None:
    invoicing.AddPaymentMethod(
        invoicing_pb.AddPaymentMethodRequest(
            account_id=account,
            payment_method=invoice_pb2.PaymentMethod(
                brand="visa", last4="4242", exp_month=12, exp_year=2099, provider_token=card
            ),
            idempotency_key=f"card-{card}",
        ),
        timeout=TIMEOUT_S,
    )


def fund_and_set_rule(
    wallet: wallet_grpc.WalletServiceStub, account: str, funds: int, threshold: int, amount: int
) -> None:
    wallet.TopUp(
        pb.TopUpRequest(
            account_id=account,
            amount=money_pb2.Money(currency_code="USD", amount_micros=funds),
            idempotency_key="opening",
        ),
        timeout=TIMEOUT_S,
    )
    rule = funds_pb2.AutoRecharge(
        enabled=True,
        threshold_micros=threshold,
        amount_micros=amount,
        max_per_month=10,
        currency_code="USD",
    )
    wallet.SetAutoRecharge(
        pb.SetAutoRechargeRequest(account_id=account, auto_recharge=rule), timeout=TIMEOUT_S
    )


def send(wallet: wallet_grpc.WalletServiceStub, account: str, n: int) -> bool:
    answer = wallet.AuthoriseSend(
        authorise_pb2.AuthoriseSendRequest(
            account_id=account,
            channel_id="chan-1",
            recipient="+12125550100",
            category=category_pb2.CATEGORY_MARKETING,
            is_template=True,
            message_id=f"{account}-m-{n}",
        ),
        timeout=TIMEOUT_S,
    )
    return answer.reservation_id != ""


def recharges(wallet: wallet_grpc.WalletServiceStub, account: str) -> list[funds_pb2.Recharge]:
    return list(
        wallet.ListRecharges(
            pb.ListRechargesRequest(account_id=account), timeout=TIMEOUT_S
        ).recharges
    )


def available(wallet: wallet_grpc.WalletServiceStub, account: str) -> int:
    answer = wallet.GetBalance(pb.GetBalanceRequest(account_id=account), timeout=TIMEOUT_S)
    return sum(b.available_micros for b in answer.balances if b.kind == funds_pb2.ASSET_KIND_MONEY)


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)


def intents_of(stripe: StripeServer, account: str) -> list[dict[str, object]]:
    return [i for i in stripe.intents() if i["metadata"]["account_id"] == account]  # type: ignore[index]


def test_a_crossing_is_charged_once_with_sends_racing_on_two_wallet_processes(
    start_services: Callable[..., Services], stripe_server: StripeServer
) -> None:
    services = start_services(wallets=2)
    invoicing = services.start_invoicing("invoicing")
    wallets = services.wallets
    account = new_account(wallets[0])
    save_card(invoicing, account, "pm_card_visa")
    # 60.5 sends of funds; below 50 sends left the crossing; a cent recharged never lifts the
    # balance back over the threshold: any second recharge of the crossing would show.
    fund_and_set_rule(wallets[0], account, 60 * SEND + SEND // 2, 50 * SEND, CENT)
    with ThreadPoolExecutor(max_workers=16) as pool:
        sent = list(pool.map(lambda n: send(wallets[n % 2], account, n), range(60)))
    assert all(sent)
    wait_for(lambda: [r.state for r in recharges(wallets[1], account)] == ["done"], "the recharge")
    time.sleep(1.0)  # time for a second recharge, were there one
    [row] = recharges(wallets[0], account)
    assert [(a.attempt, a.state) for a in row.history] == [(1, "succeeded")]
    [intent] = intents_of(stripe_server, account)
    assert (intent["amount"], intent["status"]) == (1, "succeeded")
    assert stripe_server.charged.count(str(intent["id"])) == 1
    assert row.history[0].payment_reference == intent["id"]
    wait_for(lambda: available(wallets[0], account) == SEND // 2 + CENT, "the credit")
    [funding] = invoicing.ListFundings(
        invoicing_pb.ListFundingsRequest(account_id=account), timeout=TIMEOUT_S
    ).fundings
    assert (funding.source, funding.top_up_id) == ("auto_recharge", row.top_up_id)


def test_a_declined_card_backs_off_then_stops_with_an_alert(
    start_services: Callable[..., Services], stripe_server: StripeServer, redis_url: str
) -> None:
    services = start_services(wallets=1, WALLET_RECHARGE_BACKOFF_SECONDS="0.1")
    invoicing = services.start_invoicing("invoicing")
    [wallet] = services.wallets
    account = new_account(wallet)
    save_card(invoicing, account, "pm_card_chargeDeclinedInsufficientFunds")
    fund_and_set_rule(wallet, account, 4 * SEND, 3 * SEND, 2 * CENT)
    assert send(wallet, account, 1) and send(wallet, account, 2)
    wait_for(lambda: [r.state for r in recharges(wallet, account)] == ["failed"], "the stop")
    [row] = recharges(wallet, account)
    reason = "card_declined: insufficient_funds"
    assert (row.attempts, row.problem) == (4, reason)
    assert [(a.attempt, a.state, a.problem) for a in row.history] == [
        (n, "declined", reason) for n in range(1, 5)
    ]
    waits = [
        row.history[n + 1].request_time.ToMilliseconds()
        - row.history[n].update_time.ToMilliseconds()
        for n in range(3)
    ]
    assert waits[0] >= 100 and waits[1] >= 200 and waits[2] >= 400  # each twice the last
    intents = intents_of(stripe_server, account)
    assert len(intents) == 4 and not any(i["id"] in stripe_server.charged for i in intents)
    assert available(wallet, account) == 2 * SEND  # untouched
    time.sleep(1.0)
    assert len(intents_of(stripe_server, account)) == 4  # stopped: it cannot run away
    client = redis.Redis.from_url(redis_url)
    try:

        def alerted() -> bool:
            entries: Any = client.xrange(event_streams.WALLET_ALERTS.name)
            found = [pb.BalanceAlert.FromString(fields[b"event"]) for _id, fields in entries]
            return any(a.account_id == account and a.kind == "recharge_failed" for a in found)

        wait_for(alerted, "the alert")
    finally:
        client.close()


def test_invoicing_killed_between_charge_and_credit_finishes_once_on_restart(
    start_services: Callable[..., Services], stripe_server: StripeServer
) -> None:
    services = start_services(wallets=1)
    invoicing = services.start_invoicing("first")
    [wallet] = services.wallets
    account = new_account(wallet)
    save_card(invoicing, account, "pm_card_visa")
    fund_and_set_rule(wallet, account, 4 * SEND, 3 * SEND, 50 * CENT)
    first = services.started[-1]
    with stripe_server.holding_confirms():
        assert send(wallet, account, 1) and send(wallet, account, 2)
        wait_for(
            lambda: any(i["status"] == "succeeded" for i in intents_of(stripe_server, account)),
            "the charge",
        )
        first.kill()  # the card is charged; invoicing dies before it hears so
    assert available(wallet, account) == 2 * SEND
    assert [r.state for r in recharges(wallet, account)] == ["requested"]
    restarted = services.start_invoicing("second")
    wait_for(lambda: [r.state for r in recharges(wallet, account)] == ["done"], "the recharge")
    [intent] = intents_of(stripe_server, account)
    assert stripe_server.charged.count(str(intent["id"])) == 1
    assert available(wallet, account) == 2 * SEND + 50 * CENT
    confirms = [path for method, path in stripe_server.requests if path.endswith("/confirm")]
    assert len(confirms) == len(set(confirms))  # never confirmed twice: read back by id
    [funding] = restarted.ListFundings(
        invoicing_pb.ListFundingsRequest(account_id=account), timeout=TIMEOUT_S
    ).fundings
    wait_for(
        lambda: (
            restarted.GetFunding(
                invoicing_pb.GetFundingRequest(account_id=account, funding_id=funding.funding_id),
                timeout=TIMEOUT_S,
            ).funding.state
            == invoice_pb2.FUNDING_STATE_COMPLETED
        ),
        "the receipt",
    )
