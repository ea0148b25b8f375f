"""The wallet and invoicing served together for auto-recharges, their background steps driven
by hand: the wallet's outbox publishes a recharge request, invoicing's consumer charges the
card (a provider outside: the fake, or the Stripe adapter on the local Stripe server) and
credits the wallet by TopUp over gRPC, invoicing's outbox publishes the answer, the wallet's
consumer applies it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common.clock import SteppedClock
from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap as invoicing_bootstrap
from services.invoicing.service.ports import PaymentProvider
from tests.harness.credentials import trusted_channel
from tests.harness.services import InProcessService
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, _serve, wallet_env

MAX_ROUNDS = 10


@dataclass
class Recharging:
    wallet: WalletUnderTest
    invoicing: invoicing_grpc.InvoicingServiceStub
    wired: invoicing_bootstrap.Wired
    provider: PaymentProvider
    others: list[WalletUnderTest] = field(default_factory=list)

    def settle(self) -> int:
        """Move every request and answer along until nothing is left to move."""
        total = 0
        for _ in range(MAX_ROUNDS):
            moved = 0
            for wallet in (self.wallet, *self.others):
                moved += wallet.wallet.outbox.drain()
            if self.wired.recharge_requests is not None:
                moved += self.wired.recharge_requests.drain()
            if self.wired.relay is not None:
                moved += self.wired.relay.drain()
            for wallet in (self.wallet, *self.others):
                moved += wallet.wallet.recharge_outcomes.drain()
            total += moved
            if not moved:
                break
        return total

    def save_card(self, account: str, token: str = "tok_visa") -> None:
        self.invoicing.AddPaymentMethod(
            invoicing_pb.AddPaymentMethodRequest(
                account_id=account,
                payment_method=invoice_pb2.PaymentMethod(
                    brand="visa", last4="4242", exp_month=12, exp_year=2099, provider_token=token
                ),
                idempotency_key=f"card-{token}",
            ),
            timeout=DEADLINE_S,
        )

    def recharges(self, account: str) -> list[funds_pb2.Recharge]:
        """Newest first, as the API lists them."""
        return list(
            self.wallet.stub.ListRecharges(
                pb.ListRechargesRequest(account_id=account), timeout=DEADLINE_S
            ).recharges
        )

    def fundings(self, account: str) -> list[invoice_pb2.Funding]:
        return list(
            self.invoicing.ListFundings(
                invoicing_pb.ListFundingsRequest(account_id=account), timeout=DEADLINE_S
            ).fundings
        )


def invoicing_env(tmp_path: Path, wallet: WalletUnderTest, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'invoicing.db'}",
        "INVOICING_SCHEDULER_ENABLED": "false",
        "INVOICING_STUCK_PAYMENT_SECONDS": "0",
        "WALLET_ADDRESS": wallet.service.address,
        "METERING_ADDRESS": "127.0.0.1:1",
        # A request that could not be finished is delivered again after 50 ms, then 100...
        "STREAM_RETRY_FIRST_MS": "50",
        **extra,
    }


def serve_recharging(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    provider: PaymentProvider,
    wallet_settings: dict[str, str] | None = None,
    invoicing_settings: dict[str, str] | None = None,
    wallets: int = 1,
    clock: SteppedClock | None = None,
) -> Iterator[Recharging]:
    """`clock`: the wallets' clock, when the test steps time (the wall clock otherwise)."""
    servings = [
        _serve(
            wallet_env(
                database_url,
                redis_url,
                WALLET_CONSUMER_NAME=f"wallet-{n}",
                WALLET_TOP_UP_FEE_BASIS_POINTS="250",
                WALLET_RECHARGE_RETRY_SECONDS="3600",
                **(wallet_settings or {}),
            ),
            clock,
        )
        for n in range(wallets)
    ]
    served = [next(serving) for serving in servings]
    events = redis.Redis.from_url(redis_url)
    wired: list[invoicing_bootstrap.Wired] = []

    def build(env: Env) -> App:
        wired.append(invoicing_bootstrap.wire(env, payment_provider=provider, events=events))
        return wired[0].app

    env = invoicing_env(tmp_path, served[0], **(invoicing_settings or {}))
    invoicing = InProcessService("invoicing", build, env).start()
    channel = trusted_channel(invoicing.address)
    try:
        yield Recharging(
            served[0],
            invoicing_grpc.InvoicingServiceStub(channel),
            wired[0],
            provider,
            served[1:],
        )
    finally:
        channel.close()
        invoicing.stop()
        events.close()
        for serving in servings:
            next(serving, None)
