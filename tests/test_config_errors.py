"""A service started with bad configuration exits non-zero with one line naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.credentials import credentials
from tests.harness.ports import free_port
from tests.harness.services import REPO

SERVICES = ("metering", "wallet", "invoicing", "gateway")


def _start(name: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "BILLING_DATA_DIR": str(tmp_path),
        f"{name.upper()}_PORT": str(free_port()),
        "WALLET_WORKERS": "false",
        "METERING_WORKERS_ENABLED": "false",
        **credentials().env(name),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", f"services.{name}"],
        cwd=REPO,
        env=full,
        capture_output=True,
        text=True,
        timeout=90,
    )


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line that is not a structured (JSON) log entry."""
    assert "Traceback" not in result.stderr
    plain = []
    for line in result.stderr.splitlines():
        try:
            json.loads(line)
        except ValueError:
            plain.append(line)
    assert len(plain) == 1, result.stderr
    return plain[0]


@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize(
    "url", ["not a url", "postgresql+psycopg://nobody@127.0.0.1:1/none", "mysql://x@y/z"]
)
def test_bad_database_url(name: str, url: str, tmp_path: Path, redis_url: str) -> None:
    result = _start(name, {"DATABASE_URL": url, "REDIS_URL": redis_url}, tmp_path)
    assert result.returncode != 0
    line = _error_line(result)
    assert "DATABASE_URL" in line and line.startswith(f"{name}: ")


@pytest.mark.parametrize("name", ["wallet", "metering"])
def test_redis_unreachable(name: str, tmp_path: Path) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    result = _start(name, {"REDIS_URL": closed}, tmp_path)
    assert result.returncode != 0
    assert "REDIS_URL" in _error_line(result)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"GATEWAY_PORT": "http"}, "GATEWAY_PORT"),
        ({"GATEWAY_PORT": "70000"}, "GATEWAY_PORT"),
        ({"METERING_ADDRESS": "nowhere"}, "METERING_ADDRESS"),
        ({"WALLET_ADDRESS": "host:port"}, "WALLET_ADDRESS"),
        ({"GATEWAY_TOKEN_SECRET": "short"}, "GATEWAY_TOKEN_SECRET"),
        ({"GATEWAY_MAX_BODY_BYTES": "-5"}, "GATEWAY_MAX_BODY_BYTES"),
        ({"GATEWAY_RPC_TIMEOUT_SECONDS": "0"}, "GATEWAY_RPC_TIMEOUT_SECONDS"),
    ],
)
def test_gateway_settings(env: dict[str, str], variable: str, tmp_path: Path) -> None:
    result = _start("gateway", env, tmp_path)
    assert result.returncode == 2
    line = _error_line(result)
    assert line.startswith("gateway: configuration error: ") and variable in line


def test_gateway_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _start(
            "gateway", {"GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port)}, tmp_path
        )
    assert result.returncode == 2
    assert "GATEWAY_PORT" in _error_line(result)


@pytest.mark.parametrize(
    ("name", "env", "variable"),
    [
        ("metering", {"BILLING_CALLERS": ""}, "BILLING_CALLERS"),
        ("wallet", {"BILLING_CALLERS": ""}, "BILLING_CALLERS"),
        ("invoicing", {"BILLING_CALLERS": ""}, "BILLING_CALLERS"),
        ("wallet", {"BILLING_CALLERS": "messaging=beef"}, "BILLING_CALLERS"),
        ("wallet", {"BILLING_PRINCIPAL_KEY": ""}, "BILLING_PRINCIPAL_KEY"),
        ("gateway", {"BILLING_PRINCIPAL_KEY": "short"}, "BILLING_PRINCIPAL_KEY"),
    ],
)
def test_service_credentials(
    name: str, env: dict[str, str], variable: str, tmp_path: Path, redis_url: str
) -> None:
    result = _start(name, {"REDIS_URL": redis_url, **env}, tmp_path)
    assert result.returncode == 2
    line = _error_line(result)
    assert line.startswith(f"{name}: configuration error: ") and variable in line


@pytest.mark.parametrize("name", ["gateway", "invoicing"])
def test_a_caller_needs_its_own_token(name: str, tmp_path: Path) -> None:
    result = _start(name, {"BILLING_SERVICE_TOKEN": ""}, tmp_path)
    assert result.returncode == 2
    assert "BILLING_SERVICE_TOKEN" in _error_line(result)
