"""A wallet whose channels are registered and deleted on days the test chooses: its days
run on a clock the test moves (everything else keeps the real time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from billing.wallet.v1 import wallet_service_pb2_grpc

from services.common.clock import EPOCH, MICROSECOND
from services.common.config import Env
from services.wallet.adapters.day_work import days_work
from services.wallet.bootstrap import assemble, serve
from services.wallet.service.days import Days
from tests.harness.credentials import trusted_channel
from tests.harness.services import InProcessService
from tests.wallet.conftest import WalletUnderTest


class MovableClock:
    """Now, as the test sets it: `at("2026-03-10 09:00", "Asia/Kolkata")`."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def now_ns(self) -> int:
        return (self.now - EPOCH) // MICROSECOND * 1_000

    def monotonic_ms(self) -> int:
        return self.now_ms()

    def at(self, local: str, zone: str = "UTC") -> dt.datetime:
        moment = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
        self.now = moment.astimezone(dt.UTC)
        return self.now


def serve_clocked(env: dict[str, str], clock: MovableClock) -> Iterator[WalletUnderTest]:
    """As tests/wallet/conftest.py serves a wallet, its days on `clock`; checked afterwards."""
    wallet = assemble(Env(env))
    work = days_work(wallet.engine)
    wallet.days = Days(work, wallet.accounts, wallet.hot, wallet.partitioner, clock)
    service = InProcessService("wallet", lambda _env: serve(wallet), env).start()
    channel = trusted_channel(service.address)
    under_test = WalletUnderTest(
        wallet, service, wallet_service_pb2_grpc.WalletServiceStub(channel), channel
    )
    try:
        yield under_test
        under_test.check()
    finally:
        channel.close()
        service.stop()
