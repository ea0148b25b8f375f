"""Benchmark: metering ingestion through gRPC, and the active-users query, on PostgreSQL.

1. Ingestion: RecordEvents in batches of 500 from two client threads (sent and delivered
   statuses with Meta's pricing, inbound messages), against the baseline of one event per call,
   both through gRPC to an in-process server with its outbox relay running.
2. Active users over 30 days (crossing a month) for one account with 1,000,000 distinct contacts
   and 10,000,000 events, loaded with generate_series: CountActiveUsers (day masks per contact
   and month) against COUNT(DISTINCT contact) over the raw events table with its time index.

Starts its own PostgreSQL and redis-server (tests/harness). Prints figures and ratios and writes
bench/results/metering.json. Run: .venv/bin/python -m bench.metering
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as pb
from billing.metering.v1 import metering_service_pb2_grpc as pb_grpc

from services.common.config import Env
from services.common.grpc_server import RunningServer
from services.metering.bootstrap import wire
from tests.harness import credentials as harness
from tests.harness.postgres import PostgresCluster
from tests.harness.redis_servers import RedisServer
from tests.harness.services import server_settings, wait_serving
from tests.metering.helpers import inbound, profile, publish_account, status

RESULTS = Path(__file__).parent / "results" / "metering.json"
BATCH_EVENTS = 500
BATCHED_EVENTS = 60_000
CLIENT_THREADS = 2
BASELINE_EVENTS = 2_000
TARGET_EVENTS_PER_S = 10_000
DEADLINE_S = 60.0

ACTIVE_CONTACTS = 1_000_000
ACTIVE_EVENTS = 10_000_000
ACTIVE_FROM = dt.date(2026, 3, 16)
ACTIVE_DAYS = 30
QUERY_REPEATS = 3
TARGET_QUERY_S = 2.0
ACCOUNT = "acct-bench"


def main() -> None:
    postgres = PostgresCluster().start()
    redis_server = RedisServer().start()
    try:
        ingestion = bench_ingestion(postgres, redis_server)
        active = bench_active_users(postgres, redis_server)
    finally:
        redis_server.stop()
        postgres.stop()
    result = {
        "benchmark": "metering on PostgreSQL 15 (harness settings), 2 cores",
        "python": platform.python_version(),
        "ingestion": ingestion,
        "active_users": active,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


def start_metering(database_url: str, redis_url: str) -> tuple[Any, RunningServer]:
    env = Env({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"})
    wired = wire(env)
    server = RunningServer("metering", server_settings(max_workers=32), wired.app)
    server.start()
    wait_serving(f"127.0.0.1:{server.port}")
    return wired, server


def publish(redis_url: str, event_id: str) -> None:
    client = redis.Redis.from_url(redis_url)
    publish_account(client, event_id, profile(ACCOUNT))
    client.close()


def wait_for_account(wired: Any) -> None:
    deadline = time.monotonic() + 30
    while not wired.accounts.known(ACCOUNT):
        if time.monotonic() > deadline:
            raise RuntimeError("the account never reached metering")
        time.sleep(0.05)


def traffic(prefix: str, count: int) -> list[events_pb2.MessageEvent]:
    """Per 4 messages: 1 inbound, and sent + delivered of each with Meta's pricing."""
    events: list[events_pb2.MessageEvent] = []
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    n = 0
    while len(events) < count:
        contact = f"+1415{n % 50_000:07d}"
        at = start + dt.timedelta(seconds=n)
        text = at.isoformat()
        if n % 4 == 0:
            events.append(inbound(ACCOUNT, f"{prefix}-in-{n}", text, contact=contact))
        category = "utility" if n % 3 else "marketing"
        pricing = (True, "regular", category)
        for state, offset in (("sent", 0), ("delivered", 2)):
            later = (at + dt.timedelta(seconds=offset)).isoformat()
            events.append(
                status(ACCOUNT, f"{prefix}-m-{n}", state, later, contact=contact,
                       category=category, pricing=pricing, chat_id=f"chat-{n}")
            )  # fmt: skip
        n += 1
    return events[:count]


def bench_ingestion(postgres: PostgresCluster, redis_server: RedisServer) -> dict[str, Any]:
    wired, server = start_metering(postgres.create_database("ingest"), redis_server.url)
    try:
        publish(redis_server.url, "bench-1")
        wait_for_account(wired)
        with harness.channel(f"127.0.0.1:{server.port}", "messaging") as channel:
            stub = pb_grpc.MeteringServiceStub(channel)
            stub.RecordEvents(pb.RecordEventsRequest(events=traffic("warm", 1_000)), timeout=60)
            single = traffic("single", BASELINE_EVENTS)
            started = time.perf_counter()
            for event in single:
                answer = stub.RecordEvents(
                    pb.RecordEventsRequest(events=[event]), timeout=DEADLINE_S
                )
                check(answer, 1)
            baseline_s = time.perf_counter() - started
            batched = traffic("batch", BATCHED_EVENTS)
            batches = [batched[i : i + BATCH_EVENTS] for i in range(0, len(batched), BATCH_EVENTS)]
            latencies: list[float] = []
            started = time.perf_counter()
            run_batches(stub, batches, latencies)
            batched_s = time.perf_counter() - started
    finally:
        server.stop()
    baseline_rate = BASELINE_EVENTS / baseline_s
    batched_rate = BATCHED_EVENTS / batched_s
    figures = {
        "batched": {
            "events": BATCHED_EVENTS,
            "batch_events": BATCH_EVENTS,
            "client_threads": CLIENT_THREADS,
            "seconds": round(batched_s, 3),
            "events_per_s": round(batched_rate),
            "batch_median_ms": round(statistics.median(latencies) * 1000, 1),
            "batch_p99_ms": round(sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000, 1),
        },
        "baseline": {
            "name": "one event per RecordEvents call",
            "events": BASELINE_EVENTS,
            "seconds": round(baseline_s, 3),
            "events_per_s": round(baseline_rate),
        },
        "speedup": round(batched_rate / baseline_rate, 1),
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "met": batched_rate >= TARGET_EVENTS_PER_S,
    }
    print(
        f"ingestion: {batched_rate:,.0f} events/s in batches of {BATCH_EVENTS} "
        f"({CLIENT_THREADS} clients), baseline one per call {baseline_rate:,.0f} events/s, "
        f"ratio x{batched_rate / baseline_rate:.1f}; target {TARGET_EVENTS_PER_S:,}/s "
        f"{'met' if figures['met'] else 'NOT met'}"
    )
    return figures


def run_batches(
    stub: pb_grpc.MeteringServiceStub,
    batches: list[list[events_pb2.MessageEvent]],
    latencies: list[float],
) -> None:
    lock = threading.Lock()
    queue = list(enumerate(batches))
    errors: list[BaseException] = []

    def client() -> None:
        while True:
            with lock:
                if not queue or errors:
                    return
                _, batch = queue.pop(0)
            try:
                started = time.perf_counter()
                answer = stub.RecordEvents(pb.RecordEventsRequest(events=batch), timeout=DEADLINE_S)
                elapsed = time.perf_counter() - started
                check(answer, len(batch))
            except BaseException as error:
                errors.append(error)
                return
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def check(answer: pb.RecordEventsResponse, expected: int) -> None:
    if answer.accepted_count != expected:
        raise RuntimeError(f"accepted {answer.accepted_count} of {expected}: {answer.results[:3]}")


LOAD_EVENTS = """
INSERT INTO metering_events (account_id, message_id, status, event_id, channel_id, contact,
    occur_us, local_date, is_template, referral, chat_id, session_id, payload)
SELECT :account, 'm' || g, s.status, 'm' || g || ':' || s.status, 'ch-1',
    '+1415' || lpad((g % :contacts)::text, 7, '0'),
    :start_us + g::bigint * :step_us,
    to_char(to_timestamp((:start_us + g::bigint * :step_us) / 1e6) AT TIME ZONE 'UTC',
            'YYYY-MM-DD'),
    s.status <> 'inbound', false, '', '', ''::bytea
FROM generate_series(0, :events - 1) AS g,
LATERAL (SELECT CASE (g / :contacts) % 5 WHEN 0 THEN 'inbound' WHEN 1 THEN 'sent' WHEN 2 THEN 'read'
                ELSE 'delivered' END AS status) AS s
"""

LOAD_ACTIVE = """
INSERT INTO metering_active_months (account_id, channel_id, month, contact, days_mask)
SELECT account_id, c.channel, substr(local_date, 1, 7), contact,
       bit_or((1::bigint << (substr(local_date, 9, 2)::int - 1)))
FROM metering_events, (VALUES (''), ('ch-1')) AS c(channel)
WHERE status IN ('inbound', 'delivered', 'read')
GROUP BY account_id, c.channel, substr(local_date, 1, 7), contact
"""

BASELINE_QUERY = """
SELECT COUNT(DISTINCT contact) FROM metering_events
WHERE account_id = :account AND occur_us >= :lower AND occur_us < :upper
  AND status IN ('inbound', 'delivered', 'read')
"""


def bench_active_users(postgres: PostgresCluster, redis_server: RedisServer) -> dict[str, Any]:
    url = postgres.create_database("active")
    wired, server = start_metering(url, redis_server.url)
    engine = sa.create_engine(url)
    start = dt.datetime.combine(ACTIVE_FROM, dt.time(0), tzinfo=dt.UTC)
    start_us = int(start.timestamp()) * 1_000_000
    span_us = ACTIVE_DAYS * 86_400 * 1_000_000
    publish(redis_server.url, "bench-a")
    wait_for_account(wired)
    loaded = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
        connection.execute(
            sa.text("ALTER TABLE metering_events DROP CONSTRAINT uq_metering_events_status")
        )
        connection.execute(sa.text("DROP INDEX ix_metering_events_inbound"))
        connection.execute(sa.text("DROP INDEX ix_metering_events_time"))
        connection.execute(
            sa.text(LOAD_EVENTS),
            {"account": ACCOUNT, "contacts": ACTIVE_CONTACTS, "start_us": start_us,
             "step_us": span_us // ACTIVE_EVENTS, "events": ACTIVE_EVENTS},
        )  # fmt: skip
        connection.execute(sa.text(LOAD_ACTIVE))
        connection.execute(
            sa.text(
                "CREATE INDEX ix_metering_events_time ON metering_events (account_id, occur_us)"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE metering_events"))
        connection.execute(sa.text("VACUUM ANALYZE metering_active_months"))
    load_s = time.perf_counter() - loaded
    print(f"active users: loaded {ACTIVE_EVENTS:,} events in {load_s:.0f} s")
    end = ACTIVE_FROM + dt.timedelta(days=ACTIVE_DAYS - 1)
    request = pb.CountActiveUsersRequest(
        account_id=ACCOUNT, from_date=ACTIVE_FROM.isoformat(), to_date=end.isoformat()
    )
    service_times: list[float] = []
    baseline_times: list[float] = []
    try:
        with harness.channel(f"127.0.0.1:{server.port}", "invoicing") as channel:
            stub = pb_grpc.MeteringServiceStub(channel)
            for _ in range(QUERY_REPEATS):
                started = time.perf_counter()
                counted = stub.CountActiveUsers(request, timeout=120).active_users
                service_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                with engine.connect() as connection:
                    expected = connection.execute(
                        sa.text(BASELINE_QUERY),
                        {"account": ACCOUNT, "lower": start_us, "upper": start_us + span_us},
                    ).scalar_one()
                baseline_times.append(time.perf_counter() - started)
                if counted != expected:
                    raise RuntimeError(f"active users disagree: {counted} vs {expected}")
    finally:
        server.stop()
        engine.dispose()
    service_s = statistics.median(service_times)
    baseline_s = statistics.median(baseline_times)
    figures = {
        "range": f"{ACTIVE_FROM} to {end}",
        "events": ACTIVE_EVENTS,
        "distinct_contacts": ACTIVE_CONTACTS,
        "active_users": counted,
        "load_seconds": round(load_s, 1),
        "service": {
            "name": "CountActiveUsers over gRPC (month day-masks)",
            "median_s": round(service_s, 3),
            "runs_s": [round(t, 3) for t in service_times],
        },
        "baseline": {
            "name": "COUNT(DISTINCT contact) over metering_events by (account_id, occur_us)",
            "median_s": round(baseline_s, 3),
            "runs_s": [round(t, 3) for t in baseline_times],
        },
        "speedup": round(baseline_s / service_s, 1),
        "target_s": TARGET_QUERY_S,
        "met": service_s < TARGET_QUERY_S,
    }
    print(
        f"active users over {ACTIVE_DAYS} days: {counted:,} in {service_s:.3f} s (median of "
        f"{QUERY_REPEATS}), baseline COUNT(DISTINCT) over raw events {baseline_s:.3f} s, ratio "
        f"x{baseline_s / service_s:.1f}; target < {TARGET_QUERY_S} s "
        f"{'met' if figures['met'] else 'NOT met'}"
    )
    return figures


if __name__ == "__main__":
    main()
