"""One request's trace, as the console exporter prints it: gateway → wallet → Redis and SQL.

The gateway and the wallet run as their own processes with OTEL_TRACES_EXPORTER=console (spans
on stdout, logs on stderr). One REST call (create an account) must give one trace: the
gateway's server span, its client span to the wallet, the wallet's server span under it, and
Redis and SQL spans under that; the gateway's access log line carries the trace id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.harness.credentials import credentials
from tests.harness.ports import free_port, wait_for_port
from tests.harness.services import REPO, wait_serving


def _start(module: str, env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=REPO,
        env=env,
        stdout=(folder / f"{module}.spans").open("wb"),
        stderr=(folder / f"{module}.log").open("wb"),
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def spans(path: Path) -> Iterator[dict[str, Any]]:
    """The console exporter's output: JSON objects, one after another."""
    text, decoder, at = path.read_text(), json.JSONDecoder(), 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return
        span, at = decoder.raw_decode(text, at)
        yield span


def test_one_trace_crosses_gateway_wallet_redis_and_sql(tmp_path: Path, redis_url: str) -> None:
    common = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "BILLING_DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": redis_url,
        "OTEL_TRACES_EXPORTER": "console",
        "SHUTDOWN_GRACE_SECONDS": "2",
    }
    wallet_port, gateway_port = free_port(), free_port()
    wallet_env = {**common, **credentials().env("wallet"), "WALLET_PORT": str(wallet_port)}
    wallet = _start("services.wallet", wallet_env, tmp_path)
    gateway = None
    try:
        wait_serving(f"127.0.0.1:{wallet_port}", timeout_s=60)
        gateway_env = {
            **common,
            **credentials().env("gateway"),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(gateway_port),
            "WALLET_ADDRESS": f"127.0.0.1:{wallet_port}",
            "GATEWAY_TOKEN_SECRET": "trace-" + "s" * 40,
        }
        gateway = _start("services.gateway", gateway_env, tmp_path)
        wait_for_port(gateway_port, 60)
        created = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "apikey", "create", "--platform"],
            cwd=REPO,
            env=gateway_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        key = json.loads(created.stdout)["api_key"]
        account = {
            "profile": {"account_id": "traced", "currency_code": "USD", "time_zone": "UTC"},
            "reason": "a traced account",
        }
        answer = httpx.post(
            f"http://127.0.0.1:{gateway_port}/v1/accounts",
            json=account,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
    finally:
        if gateway is not None:
            _stop(gateway)
        _stop(wallet)

    found = [
        *spans(tmp_path / "services.gateway.spans"),
        *spans(tmp_path / "services.wallet.spans"),
    ]
    (root,) = [
        s for s in found if s["kind"] == "SpanKind.SERVER" and s["name"] == "POST /v1/accounts"
    ]
    trace_id = root["context"]["trace_id"]
    trace = [s for s in found if s["context"]["trace_id"] == trace_id]
    by_id = {s["context"]["span_id"]: s for s in trace}

    def service(span: dict[str, Any]) -> str:
        name: str = span["resource"]["attributes"]["service.name"]
        return name

    def ancestors(span: dict[str, Any]) -> list[dict[str, Any]]:
        chain = []
        while span.get("parent_id") in by_id:
            span = by_id[span["parent_id"]]
            chain.append(span)
        return chain

    method = "/billing.wallet.v1.WalletService/CreateAccount"
    (client,) = [s for s in trace if s["kind"] == "SpanKind.CLIENT" and s["name"] == method]
    (served,) = [s for s in trace if s["kind"] == "SpanKind.SERVER" and s["name"] == method]
    assert service(root) == service(client) == "billing-gateway"
    assert service(served) == "billing-wallet"
    assert root in ancestors(client)
    assert served["parent_id"] == client["context"]["span_id"]
    systems = {
        s["attributes"].get("db.system") or s["attributes"].get("db.system.name")
        for s in trace
        if served in ancestors(s)
    }
    assert {"redis", "sqlite"} <= systems, systems

    access = [
        json.loads(line)
        for line in (tmp_path / "services.gateway.log").read_text().splitlines()
        if line.startswith("{") and '"request"' in line
    ]
    lines = [a for a in access if a.get("http_path") == "/v1/accounts"]
    assert len(lines) == 1 and lines[0]["http_status"] == 200
    assert f"0x{lines[0]['trace_id']}" == trace_id
