"""Benchmark: do settlements keep up with authorisations?

The wallet (`python -m services.wallet`, every loop on) and metering (`python -m
services.metering`) run as their own processes on PostgreSQL and one redis-server. In the same
run:
1. AuthoriseSend alone, as fast as CALLERS threads go: the authorisation rate the system has.
2. A sustained load at a fixed rate (SUSTAINED_SHARE of that) for SUSTAINED_S seconds: each
   message authorised, then its delivered status reported to metering in batches every
   REPORT_EVERY_S (as a messaging service forwards Meta's webhooks). Metering prices it and
   publishes the charge; the wallet commits the reservation.
Prints the sustained authorisation rate, the commit rate over the same window, and the lag
from authorisation to commit (p50 / p99, from wallet_charges.applied_ms). Goal: commits keep
up; lag p99 under 1 s. Writes bench/results/settlement.json. Run: make bench-settlement
"""

from __future__ import annotations

import json
import platform
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import sqlalchemy as sa
from billing.common.v1 import category_pb2, money_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import account_pb2, authorise_pb2, wallet_service_pb2
from billing.wallet.v1 import wallet_service_pb2_grpc as wallet_grpc

from tests.harness.postgres import PostgresCluster
from tests.harness.redis_servers import RedisServer
from tests.harness.services import ServiceProcess
from tests.metering.helpers import status

RESULTS = Path(__file__).parent / "results" / "settlement.json"
CALLERS = 8
BASELINE_SENDS = 3_000
SUSTAINED_SHARE = 0.5  # of the measured authorisation rate
SUSTAINED_S = 20.0
REPORT_EVERY_S = 0.1
DRAIN_TIMEOUT_S = 60.0
LAG_GOAL_MS = 1_000
CHANNEL = "chan-1"
RECIPIENT = "+12125550100"


@dataclass
class Sent:
    authorised_ms: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[str] = field(default_factory=list)


def main() -> None:
    postgres = PostgresCluster().start()
    redis_server = RedisServer().start()
    logs = Path(tempfile.mkdtemp(prefix="bench-settlement-"))
    wallet_url, metering_url = postgres.create_database(), postgres.create_database()
    common = {"REDIS_URL": redis_server.url, "LOG_LEVEL": "WARNING"}
    wallet = ServiceProcess(
        "wallet",
        {**common, "DATABASE_URL": wallet_url, "WALLET_WORKER_INTERVAL_SECONDS": "0.05"},
        logs,
    ).start()
    metering = ServiceProcess("metering", {**common, "DATABASE_URL": metering_url}, logs).start()
    try:
        result = run(wallet.address, metering.address, wallet_url)
    finally:
        metering.terminate()
        wallet.terminate()
        redis_server.stop()
        postgres.stop()
    result["python"] = platform.python_version()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    print(f"wrote {RESULTS}")


def run(wallet_address: str, metering_address: str, wallet_url: str) -> dict[str, object]:
    with (
        grpc.insecure_channel(wallet_address) as wallet_channel,
        grpc.insecure_channel(metering_address) as metering_channel,
    ):
        wallet = wallet_grpc.WalletServiceStub(wallet_channel)
        metering = metering_grpc.MeteringServiceStub(metering_channel)
        account = f"settle-{uuid.uuid4().hex[:8]}"
        setup(wallet, metering, account)
        baseline_rate = authorise_rate(wallet, account)
        rate = baseline_rate * SUSTAINED_SHARE
        sent = Sent()
        started = time.monotonic()
        sustain(wallet, metering, account, rate, sent)
        sustained_s = time.monotonic() - started
    lags, commits_s = settled(wallet_url, account, sent)
    lags.sort()
    return {
        "benchmark": "settlement: authorise -> delivered -> metering -> commit, 2 cores",
        "authorise_alone_per_s": round(baseline_rate, 1),
        "sustained_authorise_per_s": round(len(sent.authorised_ms) / sustained_s, 1),
        "commits_per_s": round(len(lags) / commits_s, 1) if commits_s else 0.0,
        "messages": len(sent.authorised_ms),
        "committed": len(lags),
        "lag_ms_p50": round(statistics.median(lags), 1) if lags else None,
        "lag_ms_p99": round(lags[int(len(lags) * 0.99) - 1], 1) if lags else None,
        "lag_goal_ms": LAG_GOAL_MS,
    }


def setup(
    wallet: wallet_grpc.WalletServiceStub, metering: metering_grpc.MeteringServiceStub, account: str
) -> None:
    wallet.CreateAccount(
        wallet_service_pb2.CreateAccountRequest(
            profile=account_pb2.AccountProfile(account_id=account, currency_code="USD")
        ),
        timeout=10,
    )
    wallet.TopUp(
        wallet_service_pb2.TopUpRequest(
            account_id=account,
            amount=money_pb2.Money(currency_code="USD", amount_micros=10**14),
            idempotency_key="bench",
        ),
        timeout=10,
    )
    deadline = time.monotonic() + 30
    probe = status(account, "probe", "sent", now_text(), contact=RECIPIENT, channel=CHANNEL)
    while True:  # the account reaches metering through the wallet's stream
        answer = metering.RecordEvents(metering_pb.RecordEventsRequest(events=[probe]), timeout=10)
        if answer.rejected_count == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the account never reached metering")
        time.sleep(0.1)


def authorise(wallet: wallet_grpc.WalletServiceStub, account: str, message: str) -> str:
    answer = wallet.AuthoriseSend(
        authorise_pb2.AuthoriseSendRequest(
            account_id=account,
            channel_id=CHANNEL,
            recipient=RECIPIENT,
            category=category_pb2.CATEGORY_MARKETING,
            is_template=True,
            message_id=message,
        ),
        timeout=10,
    )
    return answer.reservation_id


def authorise_rate(wallet: wallet_grpc.WalletServiceStub, account: str) -> float:
    counter = iter(range(BASELINE_SENDS))
    lock = threading.Lock()

    def caller() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            authorise(wallet, account, f"alone-{n}")

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return BASELINE_SENDS / (time.monotonic() - started)


def sustain(
    wallet: wallet_grpc.WalletServiceStub,
    metering: metering_grpc.MeteringServiceStub,
    account: str,
    rate_per_s: float,
    sent: Sent,
) -> None:
    """Authorise at a fixed rate; report deliveries in batches as they come."""
    stop = threading.Event()
    interval_s = CALLERS / rate_per_s
    end = time.monotonic() + SUSTAINED_S

    def caller(n: int) -> None:
        next_at = time.monotonic() + n * interval_s / CALLERS
        count = 0
        while next_at < end:
            time.sleep(max(0.0, next_at - time.monotonic()))
            message = f"load-{n}-{count}"
            authorise(wallet, account, message)
            with sent.lock:
                sent.authorised_ms[message] = time.time_ns() // 1_000_000
                sent.waiting.append(message)
            count += 1
            next_at += interval_s

    def reporter() -> None:
        while not stop.is_set() or sent.waiting:
            time.sleep(REPORT_EVERY_S)
            with sent.lock:
                batch, sent.waiting = sent.waiting[:1000], sent.waiting[1000:]
            if batch:
                at = now_text()
                events = [
                    status(
                        account,
                        message,
                        "delivered",
                        at,
                        contact=RECIPIENT,
                        channel=CHANNEL,
                        pricing=(True, "regular", "marketing"),
                    )
                    for message in batch
                ]
                metering.RecordEvents(metering_pb.RecordEventsRequest(events=events), timeout=30)

    callers = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
    reporting = threading.Thread(target=reporter)
    reporting.start()
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    stop.set()
    reporting.join()


def settled(wallet_url: str, account: str, sent: Sent) -> tuple[list[float], float]:
    """Lag per committed message (ms), and the seconds over which the commits happened."""
    engine = sa.create_engine(wallet_url.replace("postgresql://", "postgresql+psycopg://"))
    query = sa.text(
        "SELECT message_id, applied_ms FROM wallet_charges "
        "WHERE account_id = :a AND applied_ms IS NOT NULL"
    )
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    try:
        while True:
            with engine.connect() as connection:
                rows = connection.execute(query, {"a": account}).all()
            applied = {m: at for m, at in rows if m in sent.authorised_ms}
            if len(applied) >= len(sent.authorised_ms) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    lags = [float(applied[m] - sent.authorised_ms[m]) for m in applied]
    if not applied:
        return lags, 0.0
    first = min(sent.authorised_ms.values())
    return lags, (max(applied.values()) - first) / 1000


def now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def report(result: dict[str, object]) -> None:
    authorise_rate_s = float(result["sustained_authorise_per_s"])  # type: ignore[arg-type]
    commits = float(result["commits_per_s"])  # type: ignore[arg-type]
    ratio = commits / authorise_rate_s if authorise_rate_s else 0.0
    print(f"AuthoriseSend alone ({CALLERS} callers): {result['authorise_alone_per_s']}/s")
    print(
        f"sustained load: {authorise_rate_s}/s authorised, {commits}/s committed "
        f"({ratio:.2f}x), {result['committed']} of {result['messages']} messages committed"
    )
    print(
        f"authorise -> commit lag: p50 {result['lag_ms_p50']} ms, p99 {result['lag_ms_p99']} ms "
        f"(goal p99 < {LAG_GOAL_MS} ms)"
    )


if __name__ == "__main__":
    main()
