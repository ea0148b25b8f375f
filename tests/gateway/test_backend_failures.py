"""Backends that do not implement an RPC (501) or cannot be reached (503): mapped, not leaked."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import httpx
import pytest
from billing.metering.v1 import metering_service_pb2_grpc
from billing.wallet.v1 import wallet_service_pb2_grpc

from services.common.config import Env
from services.gateway.adapters.unit_of_work import SqlUnitsOfWork
from services.gateway.bootstrap import build
from services.gateway.domain.access import Role
from services.gateway.service.admin import Administration
from tests.gateway.stack import ThreadedGateway
from tests.harness.credentials import credentials
from tests.harness.ports import free_port


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedGateway, str]]:
    """Wallet and metering answer UNIMPLEMENTED to everything; invoicing is not running."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    wallet_service_pb2_grpc.add_WalletServiceServicer_to_server(
        wallet_service_pb2_grpc.WalletServiceServicer(),  # type: ignore[abstract]
        server,
    )
    metering_service_pb2_grpc.add_MeteringServiceServicer_to_server(
        metering_service_pb2_grpc.MeteringServiceServicer(),  # type: ignore[abstract]
        server,
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    folder: Path = tmp_path_factory.mktemp("failures")
    env = {
        **credentials().env("gateway"),
        "DATABASE_URL": f"sqlite:///{folder / 'gateway.db'}",
        "WALLET_ADDRESS": f"127.0.0.1:{port}",
        "METERING_ADDRESS": f"127.0.0.1:{port}",
        "INVOICING_ADDRESS": f"127.0.0.1:{free_port()}",
        "GATEWAY_RPC_TIMEOUT_SECONDS": "2",
    }
    running = ThreadedGateway(build(Env(env))).start()
    admin = Administration(SqlUnitsOfWork(running.gateway.engine))
    key = admin.create_api_key("acme", Role.OWNER, "owner", False).api_key
    yield running, key
    running.stop()
    server.stop(0)


def test_unimplemented_rpc_is_501(gateway: tuple[ThreadedGateway, str]) -> None:
    running, key = gateway
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=running.url, headers=headers, timeout=10) as client:
        balance = client.get("/v1/accounts/acme/balance")
        report = client.get("/v1/accounts/acme/usage/report.csv")
    for answer in (balance, report):
        assert answer.status_code == 501
        assert answer.json()["error"] == {
            "code": "UNIMPLEMENTED",
            "message": "not implemented yet",
            "field": "",
        }


def test_unreachable_backend_is_503_without_details(gateway: tuple[ThreadedGateway, str]) -> None:
    running, key = gateway
    with httpx.Client(base_url=running.url, timeout=10) as client:
        plans = client.get("/v1/plans", headers={"X-API-Key": key})
        ready = client.get("/readyz")
    assert plans.status_code == 503
    assert plans.json()["error"]["code"] == "UNAVAILABLE"
    assert "127.0.0.1" not in plans.text
    # The gateway still serves everything else, so it stays ready; the backend's state is shown.
    assert ready.status_code == 200
    assert ready.json()["database"] == "SERVING"
    backends = ready.json()["backends"]
    assert backends["billing.invoicing.v1.InvoicingService"] == "UNAVAILABLE"
    # The bare server has no health service: not SERVING either.
    assert backends["billing.wallet.v1.WalletService"] != "SERVING"
