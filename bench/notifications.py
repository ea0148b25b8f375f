"""Benchmark: billing events to 100 local webhook endpoints, end to end.

The producer is the wallet's own alert path (BalanceAlerts.publish: a row and its outbox event
in one transaction, then the common OutboxRelay to billing.wallet.alerts), measured alone
first (events/s it can announce); then the same producer runs beside a notifications service
(consumer group, SQL record, signed delivery through a pool of threads) that POSTs every event
to one of 100 endpoints on a local receiver. Prints event -> delivered latency p50/p99 (from
the event's occur_time to the receiver's arrival) and deliveries/s, beside the producer's
event rate in the same run. SQLite files and a local redis-server; 2 cores shared by both.

Run: .venv/bin/python -m bench.notifications   (or make bench-notifications)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from services.common.config import Env
from services.common.outbox import OutboxRelay
from services.notifications.bootstrap import assemble
from services.notifications.service.commands import NewEndpoint
from services.wallet.adapters import tables as wallet_tables
from services.wallet.service.alerts import BalanceAlerts, balance_alert
from tests.harness.redis_servers import RedisServer

ENDPOINTS = 100
EVENTS = 2_000
RESULTS = Path(__file__).parent / "results" / "notifications.json"


class Arrivals:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.lock = threading.Lock()


def receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.time()
            data = json.loads(body)
            with arrivals.lock:
                arrivals.times.setdefault(data["event_id"], now)
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def produce(alerts: BalanceAlerts, relay: OutboxRelay, first: int, count: int) -> None:
    """Announce `count` low-balance crossings (one account per endpoint, round robin), each
    relayed to the stream as soon as it is written."""
    for n in range(first, first + count):
        now_ms = time.time_ns() // 1_000_000
        account = f"acct-{n % ENDPOINTS:03d}"
        alerts.publish(balance_alert("low_balance", account, f"c{n}", "USD", 1_000, now_ms))
        relay.step()
    while relay.step():
        pass


def main() -> None:
    redis_server = RedisServer().start()
    folder = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    try:
        from services.common import db, redis_client
        from services.wallet.adapters.notice_work import notice_work
        from services.wallet.bootstrap import MIGRATIONS as WALLET_MIGRATIONS

        wallet_engine = db.create_engine(f"sqlite:///{folder / 'wallet.db'}")
        db.migrate(wallet_engine, WALLET_MIGRATIONS)
        events = redis_client.connect(redis_server.url)
        alerts = BalanceAlerts(notice_work(wallet_engine))
        relay = OutboxRelay(wallet_engine, wallet_tables.outbox, events)

        # 1. The producer alone.
        started = time.perf_counter()
        produce(alerts, relay, 0, EVENTS)
        alone_rate = EVENTS / (time.perf_counter() - started)

        # 2. The producer beside the notifications service delivering to 100 endpoints.
        arrivals = Arrivals()
        server = receiver(arrivals)
        port = server.server_address[1]
        service = assemble(
            Env(
                {
                    "DATABASE_URL": f"sqlite:///{folder / 'notifications.db'}",
                    "REDIS_URL": redis_server.url,
                    "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "true",
                    "NOTIFICATIONS_DELIVERY_THREADS": "32",
                    "NOTIFICATIONS_WORKER_INTERVAL_SECONDS": "0.01",
                    "NOTIFICATIONS_WORKER_IDLE_MAX_SECONDS": "0.05",
                }
            ),
            mailer=_NoMail(),
            directory=_NoDirectory(),
        )
        for consumer in service.consumers.values():  # phase 1's events: no endpoint yet
            consumer.drain()
        for n in range(ENDPOINTS):
            service.endpoints.create(
                NewEndpoint(account_id=f"acct-{n:03d}", url=f"http://127.0.0.1:{port}/hook/{n}")
            )
        arrivals.times.clear()
        for loop in service.loops.values():
            if loop.name != "emails":
                loop.start()
        started = time.perf_counter()
        produced_at = time.time()
        produce(alerts, relay, EVENTS, EVENTS)
        produce_s = time.perf_counter() - started
        deadline = time.monotonic() + 120
        while len(arrivals.times) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        total_s = time.perf_counter() - started
        for loop in service.loops.values():
            loop.stop()
        latencies = _latencies(service, arrivals)
        delivered = len(arrivals.times)
        report = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "database": "sqlite",
            "endpoints": ENDPOINTS,
            "events": EVENTS,
            "producer_alone_events_per_s": round(alone_rate, 1),
            "producer_beside_notifications_events_per_s": round(EVENTS / produce_s, 1),
            "delivered": delivered,
            "deliveries_per_s": round(delivered / total_s, 1),
            "event_to_delivered_ms_p50": round(statistics.median(latencies), 1),
            "event_to_delivered_ms_p99": round(_p99(latencies), 1),
            "started_at": produced_at,
        }
        print(json.dumps(report, indent=2))
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        server.shutdown()
        service.close()
        events.close()
    finally:
        redis_server.stop()


def _latencies(service: Any, arrivals: Arrivals) -> list[float]:
    import sqlalchemy as sa

    from services.notifications.adapters import tables

    with service.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.events.c.event_id, tables.events.c.occurred_ms)
        ).all()
    occurred = {row.event_id: row.occurred_ms / 1000 for row in rows}
    return [
        (arrived - occurred[event_id]) * 1000
        for event_id, arrived in arrivals.times.items()
        if event_id in occurred
    ]


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class _NoMail:
    def send(self, emails: list[Any]) -> list[str]:
        return [email.to for email in emails]


class _NoDirectory:
    def billing_email(self, account_id: str) -> str:
        return ""

    def invoice_pdf(self, account_id: str, invoice_id: str) -> bytes:
        return b""


if __name__ == "__main__":
    main()
