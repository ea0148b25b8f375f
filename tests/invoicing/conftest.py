"""Invoicing served over real gRPC on SQLite and PostgreSQL, calling the real wallet and
metering (tests/invoicing/backends.py); only the card provider, which is outside, is a fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.invoicing.entrypoints.scheduler import BillingScheduler
from services.invoicing.service.settings import Clock, utc_now
from tests.conftest import DATABASES
from tests.harness.credentials import trusted_channel
from tests.harness.postgres import PostgresCluster
from tests.harness.services import InProcessService
from tests.invoicing.backends import Backends, serve_backends


@pytest.fixture(scope="session", params=DATABASES)
def backends(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backends]:
    """One wallet and one metering per database kind, shared by every invoicing test."""
    kind = str(request.param)
    if kind == "sqlite":
        folder = tmp_path_factory.mktemp("backends")
        urls = f"sqlite:///{folder / 'wallet.db'}", f"sqlite:///{folder / 'metering.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        urls = cluster.create_database(), cluster.create_database()
    yield from serve_backends(kind, *urls)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backends: Backends, tmp_path: Path) -> str:
    """Invoicing's own fresh database, of the kind its wallet and metering run on."""
    if backends.kind == "sqlite":
        return f"sqlite:///{tmp_path / 'invoicing.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()


@dataclass
class Invoicing:
    stub: pb_grpc.InvoicingServiceStub
    backends: Backends
    provider: FakePaymentProvider
    service: InProcessService
    # Switched off as a worker; tests drive it by hand.
    scheduler: BillingScheduler

    def account(self, name: str, **profile: object) -> str:
        return self.backends.account(name, **profile)


@pytest.fixture
def start_invoicing(database_url: str, backends: Backends) -> Iterator[Callable[..., Invoicing]]:
    started: list[tuple[InProcessService, grpc.Channel]] = []

    def start(clock: Clock = utc_now) -> Invoicing:
        provider = FakePaymentProvider()
        wired: list[bootstrap.Wired] = []

        def build(env: Env) -> App:
            wired.append(bootstrap.wire(env, payment_provider=provider, clock=clock))
            return wired[0].app

        env = {
            "DATABASE_URL": database_url,
            "METERING_ADDRESS": backends.metering_address,
            "WALLET_ADDRESS": backends.wallet.service.address,
            "INVOICING_SCHEDULER_ENABLED": "false",
            "INVOICING_STUCK_PAYMENT_SECONDS": "0",
            "INVOICING_ISSUER_NAME": "Acme Messaging Ltd",
            "INVOICING_ISSUER_ADDRESS": "1 Harbour Road\nMumbai 400001",
            "INVOICING_ISSUER_TAX_ID": "27AAACA1234F1Z5",
        }
        service = InProcessService("invoicing", build, env).start()
        channel = trusted_channel(service.address)
        started.append((service, channel))
        stub = pb_grpc.InvoicingServiceStub(channel)
        return Invoicing(stub, backends, provider, service, wired[0].scheduler)

    yield start
    for service, channel in started:
        channel.close()
        service.stop()


@pytest.fixture
def invoicing(start_invoicing: Callable[..., Invoicing]) -> Invoicing:
    return start_invoicing()
