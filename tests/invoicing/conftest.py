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
from tests.harness.services import InProcessService
from tests.invoicing.fakes import FakeMetering, FakeWallet


@dataclass
class Invoicing:
    stub: pb_grpc.InvoicingServiceStub
    metering: FakeMetering
    wallet: FakeWallet
    provider: FakePaymentProvider
    service: InProcessService


@pytest.fixture
def invoicing(database_url: str) -> Iterator[Invoicing]:
    metering, wallet, provider = FakeMetering(), FakeWallet(), FakePaymentProvider()

    def build(env: Env) -> App:
        return bootstrap.build(env, usage=metering, wallet=wallet, payment_provider=provider)

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
        yield Invoicing(pb_grpc.InvoicingServiceStub(channel), metering, wallet, provider, service)
    finally:
        channel.close()
        service.stop()
