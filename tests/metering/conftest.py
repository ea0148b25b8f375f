"""Metering served over gRPC in this process, on real SQL and a real redis-server."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import redis
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as pb
from billing.metering.v1 import metering_service_pb2_grpc as pb_grpc
from billing.wallet.v1 import account_pb2

import pricing
from services.common.clock import Clock
from services.common.config import Env
from services.common.grpc_server import RunningServer
from services.metering.bootstrap import Metering, wire
from tests.harness.credentials import trusted_channel
from tests.harness.services import server_settings, wait_serving
from tests.metering import helpers

DEADLINE_S = 30.0


@dataclass
class Running:
    wired: Metering
    server: RunningServer
    channel: grpc.Channel
    stub: pb_grpc.MeteringServiceStub
    redis: redis.Redis

    def add_account(self, event_id: str, account: account_pb2.AccountProfile) -> None:
        """The wallet announces an account; metering consumes it before this returns."""
        helpers.publish_account(self.redis, event_id, account)
        self.wired.accounts_consumer.drain()
        if not self.wired.accounts.known(account.account_id):
            raise AssertionError(f"account {account.account_id} not applied by the drain")

    def record(self, *events: events_pb2.MessageEvent, key: str = "") -> pb.RecordEventsResponse:
        """RecordEvents, then relay the outbox to the streams."""
        response = self.stub.RecordEvents(
            pb.RecordEventsRequest(events=events, idempotency_key=key), timeout=DEADLINE_S
        )
        self.wired.relay.drain()
        return response


@pytest.fixture
def start_metering(database_url: str, redis_url: str) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(
        rate_cards: Path | None = None, workers: bool = False, clock: Clock | None = None
    ) -> Running:
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "METERING_WORKERS_ENABLED": "true" if workers else "false",
            "METERING_CONSUMER_NAME": f"test-{len(started)}",
            "STREAM_RETRY_FIRST_MS": "20",
            "STREAM_MAX_ATTEMPTS": "2",
        }
        if rate_cards is not None:
            env["METERING_RATE_CARDS_DIR"] = str(rate_cards)
        wired = wire(Env(env), clock)
        settings = server_settings(max_workers=16, grace_seconds=2.0)
        server = RunningServer("metering", settings, wired.app)
        server.start()
        address = f"127.0.0.1:{server.port}"
        wait_serving(address)
        channel = trusted_channel(address)
        running = Running(
            wired,
            server,
            channel,
            pb_grpc.MeteringServiceStub(channel),
            redis.Redis.from_url(redis_url),
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.channel.close()
        running.server.stop()
        running.redis.close()


@pytest.fixture
def metering(start_metering: Callable[..., Running]) -> Running:
    return start_metering()


def write_rate_cards(folder: Path, extra: dict[str, str]) -> Path:
    """The shipped rate cards plus (or replacing) `extra` files: name -> CSV text."""
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(pricing.__file__).parent / "data"
    for path in data.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    for name, text in extra.items():
        (folder / name).write_text(text)
    return folder
