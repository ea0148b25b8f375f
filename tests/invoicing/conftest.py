"""Invoicing served over real gRPC on SQLite and PostgreSQL, its outside ports in memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from billing.invoicing.v1 import invoicing_service_pb2_grpc as pb_grpc

from services.common.config import Env
from services.common.grpc_server import App
from services.invoicing import bootstrap
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.invoicing.entrypoints.scheduler import BillingScheduler
from tests.harness.services import InProcessService
from tests.invoicing.fakes import FakeMetering, FakeWallet


@dataclass
class Invoicing:
    stub: pb_grpc.InvoicingServiceStub
    metering: FakeMetering
    wallet: FakeWallet
    provider: FakePaymentProvider
    service: InProcessService
    scheduler: BillingScheduler


@pytest.fixture
def invoicing(database_url: str) -> Iterator[Invoicing]:
    metering, wallet, provider = FakeMetering(), FakeWallet(), FakePaymentProvider()

    wired: list[bootstrap.Wired] = []

    def build(env: Env) -> App:
        wired.append(bootstrap.wire(env, usage=metering, wallet=wallet, payment_provider=provider))
        return wired[0].app

    env = {
        "DATABASE_URL": database_url,
        "INVOICING_SCHEDULER_ENABLED": "false",
        "INVOICING_ISSUER_NAME": "Acme Messaging Ltd",
        "INVOICING_ISSUER_ADDRESS": "1 Harbour Road\nMumbai 400001",
        "INVOICING_ISSUER_TAX_ID": "27AAACA1234F1Z5",
    }
    service = InProcessService("invoicing", build, env).start()
    channel = grpc.insecure_channel(service.address)
    try:
        stub = pb_grpc.InvoicingServiceStub(channel)
        yield Invoicing(stub, metering, wallet, provider, service, wired[0].scheduler)
    finally:
        channel.close()
        service.stop()
