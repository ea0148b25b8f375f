"""A wallet served over real gRPC, on real Redis and real SQL; checked after every scenario."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import (
    account_pb2,
    authorise_pb2,
    wallet_service_pb2,
    wallet_service_pb2_grpc,
)

from services.common.clock import SteppedClock
from services.common.config import Env
from services.wallet.adapters.ledger_sql import check_invariants
from services.wallet.bootstrap import Wallet, assemble, serve
from services.wallet.service.reconcile import Reconciler
from tests.harness.credentials import trusted_channel
from tests.harness.services import InProcessService

DEADLINE_S = 10
US_NUMBER = "+12125550100"
MARKETING_USD_MICROS = 25_000  # North America marketing, USD card in force


@dataclass
class WalletUnderTest:
    wallet: Wallet
    service: InProcessService
    stub: wallet_service_pb2_grpc.WalletServiceStub
    channel: grpc.Channel
    clock: SteppedClock | None = None  # what credits expire by, when the test steps time

    def create_account(self, account_id: str | None = None, **profile: object) -> str:
        account_id = account_id or f"acct-{uuid.uuid4().hex[:10]}"
        fields: dict[str, object] = {"currency_code": "USD", "time_zone": "UTC"}
        fields.update(profile)
        self.stub.CreateAccount(
            wallet_service_pb2.CreateAccountRequest(
                profile=account_pb2.AccountProfile(account_id=account_id, **fields)  # type: ignore[arg-type]
            ),
            timeout=DEADLINE_S,
        )
        return account_id

    def top_up(self, account_id: str, micros: int, channel_id: str = "", key: str = "") -> None:
        self.stub.TopUp(
            wallet_service_pb2.TopUpRequest(
                account_id=account_id,
                channel_id=channel_id,
                amount=money_pb2.Money(currency_code="USD", amount_micros=micros),
                idempotency_key=key or uuid.uuid4().hex,
            ),
            timeout=DEADLINE_S,
        )

    def authorise(
        self,
        account_id: str,
        message_id: str | None = None,
        recipient: str = US_NUMBER,
        category: int = category_pb2.CATEGORY_MARKETING,
        channel_id: str = "chan-1",
        **extra: object,
    ) -> authorise_pb2.AuthoriseSendResponse:
        request = authorise_pb2.AuthoriseSendRequest(
            account_id=account_id,
            channel_id=channel_id,
            recipient=recipient,
            category=category,  # type: ignore[arg-type]
            is_template=category != category_pb2.CATEGORY_SERVICE,
            message_id=message_id or uuid.uuid4().hex,
            **extra,  # type: ignore[arg-type]
        )
        return self.stub.AuthoriseSend(request, timeout=DEADLINE_S)

    def available(self, account_id: str, channel_id: str = "") -> tuple[int, int]:
        answer = self.stub.GetBalance(
            wallet_service_pb2.GetBalanceRequest(account_id=account_id), timeout=DEADLINE_S
        )
        for balance in answer.balances:
            if balance.channel_id == channel_id:
                return balance.available_micros, balance.reserved_micros
        return 0, 0

    def check(self) -> None:
        """Project everything, then: double entry holds, floors hold, Redis equals SQL."""
        self.wallet.projector.drain()
        floors = {view.account_id: view.floor_micros for view in self.wallet.accounts.all_views()}
        report = check_invariants(self.wallet.engine, floors)
        assert report.ok, report.problems
        reconciler = Reconciler(
            self.wallet.works, self.wallet.hot, self.wallet.partitioner, self.wallet.accounts
        )
        _count, differences = reconciler.all_differences()
        assert not differences, [str(d) for d in differences]


def _serve(env: dict[str, str], clock: SteppedClock | None = None) -> Iterator[WalletUnderTest]:
    wallet = assemble(Env(env), clock)
    service = InProcessService("wallet", lambda _env: serve(wallet), env).start()
    channel = trusted_channel(service.address)
    under_test = WalletUnderTest(
        wallet, service, wallet_service_pb2_grpc.WalletServiceStub(channel), channel, clock
    )
    try:
        yield under_test
        under_test.check()
    finally:
        channel.close()
        service.stop()


def wallet_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WALLET_WORKERS": "false",
        "WALLET_PARTITIONS": "8",
    }
    env.update(extra)
    return env


@pytest.fixture
def wallet(database_url: str, redis_url: str) -> Iterator[WalletUnderTest]:
    """On SQLite and PostgreSQL, a single redis-server; loops off (driven by the test)."""
    yield from _serve(wallet_env(database_url, redis_url))


@pytest.fixture
def stepped_wallet(database_url: str, redis_url: str) -> Iterator[WalletUnderTest]:
    """As `wallet`, on a clock the test steps (starting at the wall clock's now)."""
    yield from _serve(wallet_env(database_url, redis_url), SteppedClock())


@pytest.fixture(params=["single", "cluster"])
def any_redis_wallet(
    request: pytest.FixtureRequest, tmp_path: object, redis_url: str
) -> Iterator[WalletUnderTest]:
    """SQLite, on a single redis-server and on the 3-master Redis Cluster."""
    url = redis_url
    extra = {}
    if request.param == "cluster":
        url = request.getfixturevalue("cluster_url")
        extra["REDIS_CLUSTER"] = "true"
    database = f"sqlite:///{tmp_path}/wallet.db"
    yield from _serve(wallet_env(database, url, **extra))
