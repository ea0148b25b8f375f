"""The four services as separate processes: health, a real API key from the CLI, real HTTP
calls through the gateway, then SIGTERM: each drains and exits 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.harness.services import REPO, ServiceProcess

BACKENDS = ("metering", "wallet", "invoicing", "notifications")


def _wait_ready(url: str, timeout_s: float = 60.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            answer = httpx.get(f"{url}/readyz", timeout=2)
            if answer.status_code == 200:
                body: dict[str, object] = answer.json()
                return body
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url}/readyz never answered ready")
        time.sleep(0.1)


def _billing(env: dict[str, str], *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_suite_serves_through_the_gateway_and_drains_on_sigterm(
    tmp_path: Path, redis_url: str
) -> None:
    common = {
        "BILLING_DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": redis_url,
        "SHUTDOWN_GRACE_SECONDS": "5",
    }
    common_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | common
    processes: list[ServiceProcess] = []
    try:
        for name in BACKENDS:
            processes.append(ServiceProcess(name, common, tmp_path).start())
        addresses = {f"{p.name.upper()}_ADDRESS": p.address for p in processes}
        gateway_env = {
            **common,
            **addresses,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_TOKEN_SECRET": "e2e-" + "s" * 40,
            "SHUTDOWN_DRAIN_DELAY_SECONDS": "1",
        }
        gateway = ServiceProcess("gateway", gateway_env, tmp_path).start()
        processes.append(gateway)
        url = f"http://127.0.0.1:{gateway.port}"
        ready = _wait_ready(url)
        assert set(ready["backends"].values()) == {"SERVING"}  # type: ignore[attr-defined]

        cli_env = {**common_env, **gateway_env}
        platform = _billing(cli_env, "apikey", "create", "--platform", "--name", "e2e")
        headers = {"Authorization": f"Bearer {platform['api_key']}"}
        plan = {
            "plan": {
                "plan_id": "growth",
                "name": "Growth",
                "monthly_fee": {"currency_code": "INR", "amount_micros": "2499000000"},
                "included_active_users": "1000",
            }
        }
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            created = client.post("/v1/plans", json=plan, headers={"Idempotency-Key": "e2e-plan"})
            assert created.status_code == 200, created.text
            listed = client.get("/v1/plans").json()
            assert [p["plan_id"] for p in listed["plans"]] == ["growth"]
            assert listed["plans"][0]["monthly_fee"]["amount_micros"] == "2499000000"
            account = {
                "profile": {
                    "account_id": "acme",
                    "currency_code": "INR",
                    "time_zone": "Asia/Kolkata",
                }
            }
            assert client.post("/v1/accounts", json=account).status_code == 200
        owner = _billing(cli_env, "apikey", "create", "--account", "acme", "--role", "owner")
        with httpx.Client(base_url=url, timeout=30) as client:
            balance = client.get(
                "/v1/accounts/acme/balance", headers={"X-API-Key": str(owner["api_key"])}
            )
            other = client.get(
                "/v1/accounts/globex/balance", headers={"X-API-Key": str(owner["api_key"])}
            )
        assert (
            balance.status_code == 200 and balance.json()["balances"][0]["currency_code"] == "INR"
        )
        assert other.status_code == 404

        # SIGTERM: during the drain delay the gateway reports not ready yet still answers.
        during: dict[str, int] = {}

        def probe() -> None:
            time.sleep(0.3)
            with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
                during["readyz"] = client.get("/readyz").status_code
                during["plans"] = client.get("/v1/plans").status_code

        prober = threading.Thread(target=probe)
        prober.start()
        codes = {"gateway": gateway.terminate()}
        prober.join()
        processes.remove(gateway)
        assert during == {"readyz": 503, "plans": 200}
        for process in list(processes):
            codes[process.name] = process.terminate()
            processes.remove(process)
        assert codes == {"gateway": 0, **dict.fromkeys(BACKENDS, 0)}
    finally:
        for process in processes:
            process.kill()
