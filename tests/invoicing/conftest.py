"""Invoicing served over real gRPC on SQLite and PostgreSQL, its outside ports in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.invoicing.entrypoints.scheduler import BillingScheduler
from services.invoicing.service.settings import Clock, utc_now
from tests.harness.credentials import trusted_channel
from tests.harness.services import InProcessService
from tests.invoicing.fakes import FakeMetering, FakeWallet


@dataclass
class Invoicing:
    stub: pb_grpc.InvoicingServiceStub
    metering: FakeMetering
    wallet: FakeWallet
    provider: FakePaymentProvider
    service: InProcessService
    # Switched off as a worker; tests drive it by hand.
    scheduler: BillingScheduler


@pytest.fixture
def start_invoicing(database_url: str) -> Iterator[Callable[..., Invoicing]]:
    started: list[tuple[InProcessService, grpc.Channel]] = []

    def start(clock: Clock = utc_now) -> Invoicing:
        metering, wallet, provider = FakeMetering(), FakeWallet(), FakePaymentProvider()
        wired: list[bootstrap.Wired] = []

        def build(env: Env) -> App:
            wired.append(
                bootstrap.wire(
                    env, usage=metering, wallet=wallet, payment_provider=provider, clock=clock
                )
            )
            return wired[0].app

        env = {
            "DATABASE_URL": database_url,
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
        return Invoicing(stub, metering, wallet, provider, service, wired[0].scheduler)

    yield start
    for service, channel in started:
        channel.close()
        service.stop()


@pytest.fixture
def invoicing(start_invoicing: Callable[..., Invoicing]) -> Invoicing:
    return start_invoicing()
