"""`make up`'s runner: starts Redis and the four services, prints addresses, Ctrl-C stops all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from billing.wallet.v1 import authorise_pb2, wallet_service_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.harness.ports import free_port
from tests.harness.services import REPO

START_TIMEOUT_S = 90


def test_up_runs_everything_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    names = ("METERING", "WALLET", "INVOICING", "NOTIFICATIONS", "GATEWAY")
    ports = {name: free_port() for name in names}
    redis_port = free_port()
    env = {
        **os.environ,
        "BILLING_DATA_DIR": str(tmp_path / "data"),
        # Nothing listens there, so the runner starts its own redis-server.
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        **{f"{name}_PORT": str(port) for name, port in ports.items()},
    }
    runner = subprocess.Popen(
        [sys.executable, "-m", "services.local"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert runner.stdout is not None
    printed: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while "Ctrl-C stops everything." not in printed:
        line = runner.stdout.readline()
        assert line or runner.poll() is None, f"runner exited early: {printed}"
        printed.append(line.strip())
        assert time.monotonic() < deadline, printed
    addresses = "\n".join(printed)
    # The token messaging clients present, printed with how to present it, kept in the data
    # folder for the next start and for `billing` commands.
    token_line = printed[
        printed.index("messaging clients authenticate to the gRPC ports with this token:") + 1
    ]
    token = token_line.strip()
    assert token.startswith("messaging.") and "authorization: Bearer <token>" in addresses
    kept = tmp_path / "data" / "credentials.json"
    assert kept.stat().st_mode & 0o777 == 0o600
    shown = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "credentials", "show", "messaging"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(shown.stdout)["token"] == token
    for name in ("metering", "wallet", "invoicing"):
        assert f"grpc 127.0.0.1:{ports[name.upper()]}" in addresses
        with grpc.insecure_channel(f"127.0.0.1:{ports[name.upper()]}") as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
    wallet = f"127.0.0.1:{ports['WALLET']}"
    request = authorise_pb2.AuthoriseSendRequest(account_id="nobody", message_id="m-1")
    with grpc.insecure_channel(wallet) as channel:
        stub = wallet_service_pb2_grpc.WalletServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.AuthoriseSend(request, timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as accepted:
            stub.AuthoriseSend(request, timeout=5, metadata=(("authorization", f"Bearer {token}"),))
        assert accepted.value.code() != grpc.StatusCode.UNAUTHENTICATED
    assert f"http://127.0.0.1:{ports['GATEWAY']}" in addresses
    for name in ("metering", "wallet", "invoicing"):
        assert (tmp_path / "data" / f"{name}.db").exists()

    runner.send_signal(signal.SIGINT)
    rest, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0
    for name in ("gateway", "invoicing", "wallet", "metering"):
        assert f"stopped {name} (exit 0)" in rest
