"""Benchmark: the gateway's added latency over calling the same RPC directly through gRPC.

Starts redis-server, the three services and the gateway as separate processes (SQLite), then
for ListPlans (invoicing, SQL) and GetBalance (wallet, Redis) times, one call at a time on a
kept-alive connection: the RPC through a gRPC stub (the baseline), and the same call as HTTP
through the gateway (API key check, transcoding, JSON). Prints p50/p99 of both and their
ratios, and writes bench/results/gateway.json.

Run: .venv/bin/python -m bench.gateway   (or make bench-gateway)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing
from billing.invoicing.v1 import invoicing_service_pb2_grpc as invoicing_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from services.common.config import Env
from services.gateway.bootstrap import open_store
from services.gateway.domain.access import Role
from services.gateway.service.admin import Administration
from tests.harness import credentials as harness
from tests.harness.redis_servers import RedisServer
from tests.harness.services import ServiceProcess

WARMUP_CALLS = 300
CALLS = 3_000
DEADLINE_S = 5.0
RESULTS = Path(__file__).parent / "results" / "gateway.json"
ACCOUNT = "bench-acct"


def _percentiles(samples_us: list[float]) -> dict[str, float]:
    ordered = sorted(samples_us)
    return {
        "p50_us": round(statistics.median(ordered), 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1], 1),
        "mean_us": round(statistics.fmean(ordered), 1),
    }


def _time(call: Callable[[], Any]) -> dict[str, float]:
    for _ in range(WARMUP_CALLS):
        call()
    samples: list[float] = []
    for _ in range(CALLS):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1000)
    return _percentiles(samples)


def _compare(name: str, direct: Callable[[], Any], through: Callable[[], Any]) -> dict[str, Any]:
    baseline = _time(direct)
    gateway = _time(through)
    result = {
        "grpc_direct": baseline,
        "via_gateway": gateway,
        "ratio_p50": round(gateway["p50_us"] / baseline["p50_us"], 2),
        "ratio_p99": round(gateway["p99_us"] / baseline["p99_us"], 2),
        "added_p50_us": round(gateway["p50_us"] - baseline["p50_us"], 1),
    }
    print(
        f"{name:12s} gRPC p50 {baseline['p50_us']:8.1f} us  p99 {baseline['p99_us']:8.1f} us | "
        f"gateway p50 {gateway['p50_us']:8.1f} us  p99 {gateway['p99_us']:8.1f} us | "
        f"ratio p50 {result['ratio_p50']}x p99 {result['ratio_p99']}x "
        f"(+{result['added_p50_us']} us)"
    )
    return result


def _expect_ok(answer: httpx.Response) -> httpx.Response:
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text}")
    return answer


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    redis = RedisServer().start()
    env = {
        "BILLING_DATA_DIR": str(folder / "data"),
        "REDIS_URL": redis.url,
        "LOG_LEVEL": "WARNING",
        "GATEWAY_TOKEN_SECRET": "bench-" + "s" * 40,
        "GATEWAY_HOST": "127.0.0.1",
        # The limiter stays in the path, with a limit the one-at-a-time calls never reach.
        "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
        "GATEWAY_RATE_LIMIT_BURST": "1000000",
    }
    os.environ.pop("DATABASE_URL", None)
    processes: list[ServiceProcess] = []
    try:
        for name in ("metering", "wallet", "invoicing"):
            processes.append(ServiceProcess(name, env, folder).start())
        addresses = {f"{p.name.upper()}_ADDRESS": p.address for p in processes}
        gateway = ServiceProcess("gateway", {**env, **addresses}, folder).start()
        processes.append(gateway)
        engine, units = open_store(Env({**env, **addresses}))
        admin = Administration(units)
        operator_key = admin.create_api_key("", None, "bench", False).api_key
        url = f"http://127.0.0.1:{gateway.port}"
        with httpx.Client(base_url=url, headers={"X-API-Key": operator_key}, timeout=10) as setup:
            for index in range(20):
                plan = {
                    "plan": {
                        "plan_id": f"plan-{index:02d}",
                        "name": f"Plan {index}",
                        "monthly_fee": {"currency_code": "USD", "amount_micros": "1000000"},
                    },
                    "reason": "benchmark plans",
                }
                _expect_ok(setup.post("/v1/plans", json=plan))
            profile = {
                "profile": {"account_id": ACCOUNT, "currency_code": "USD", "time_zone": "UTC"},
                "reason": "benchmark account",
            }
            _expect_ok(setup.post("/v1/accounts", json=profile))
        owner = admin.create_api_key(ACCOUNT, Role.OWNER, "bench-owner", False).api_key
        customer = harness.customer(ACCOUNT)
        engine.dispose()

        invoicing_address = next(p.address for p in processes if p.name == "invoicing")
        wallet_address = next(p.address for p in processes if p.name == "wallet")
        results: dict[str, Any] = {}
        with (
            # Direct gRPC as the gateway calls: its token and the owner's signed principal.
            harness.channel(invoicing_address, "gateway", customer) as inv_channel,
            harness.channel(wallet_address, "gateway", customer) as wallet_channel,
            httpx.Client(base_url=url, timeout=10) as client,
        ):
            plans = invoicing_grpc.InvoicingServiceStub(inv_channel)
            balances = wallet_grpc.WalletServiceStub(wallet_channel)
            list_request = invoicing.ListPlansRequest(page_size=10)
            balance_request = wallet.GetBalanceRequest(account_id=ACCOUNT)
            results["ListPlans"] = _compare(
                "ListPlans",
                lambda: plans.ListPlans(list_request, timeout=DEADLINE_S),
                lambda: _expect_ok(
                    client.get("/v1/plans", params={"page_size": 10}, headers={"X-API-Key": owner})
                ),
            )
            results["GetBalance"] = _compare(
                "GetBalance",
                lambda: balances.GetBalance(balance_request, timeout=DEADLINE_S),
                lambda: _expect_ok(
                    client.get(f"/v1/accounts/{ACCOUNT}/balance", headers={"X-API-Key": owner})
                ),
            )
        report = {
            "benchmark": "gateway",
            "what": "one call at a time: gRPC direct (baseline) vs REST via the gateway",
            "calls": CALLS,
            "warmup_calls": WARMUP_CALLS,
            "database": "sqlite",
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "results": results,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written {RESULTS}")
    finally:
        for process in reversed(processes):
            process.terminate()
        redis.stop()


if __name__ == "__main__":
    main()
