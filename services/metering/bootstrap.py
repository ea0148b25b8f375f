"""Wire the metering service from the environment.

Environment: DATABASE_URL, REDIS_URL (hot state and the streams metering writes),
REDIS_CLUSTER, WALLET_EVENTS_REDIS_URL (the wallet's account stream; defaults to REDIS_URL),
METERING_RATE_CARDS_DIR (defaults to the pricing library's data), METERING_WORKERS_ENABLED
(default true: account consumer and outbox relay run in the background),
METERING_CONSUMER_NAME.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from billing.metering.v1 import metering_service_pb2, metering_service_pb2_grpc

from pricing import Catalog, PricingEngine, default_catalog
from services.common import config, db, event_streams, metrics, redis_client
from services.common.background import Loop, OperationsAlerts, RetryPolicy, StreamConsumer
from services.common.clock import Clock, SystemClock
from services.common.grpc_server import App, ServiceBinding
from services.common.lag_alerts import CHECK_EVERY_S, LagAlerts, LagBound, written_by
from services.common.outbox import OutboxRelay
from services.common.redis_client import RedisClient
from services.common.streams import GroupReader, Retention
from services.metering.adapters import tables
from services.metering.adapters.hot_state import HotState
from services.metering.adapters.unit_of_work import SqlUnitsOfWork
from services.metering.entrypoints.access import RULES
from services.metering.entrypoints.account_events import AccountEvents
from services.metering.entrypoints.grpc_servicer import MeteringServicer
from services.metering.service.accounts import Accounts
from services.metering.service.charges import ChargeSummary
from services.metering.service.charging import Charging
from services.metering.service.ingest import Ingestion
from services.metering.service.report import UsageReport
from services.metering.service.usage import Usage

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = metering_service_pb2.DESCRIPTOR.services_by_name["MeteringService"].full_name
CONSUMER_GROUP = "metering"
BLOCK_MS = 1_000  # the account consumer waits this long on Redis for new entries
RELAY_WAIT_S = 1.0  # the relay is woken by each committed batch; idle, it looks this often


@dataclass
class Metering:
    """The wired service; tests drive `accounts_consumer` and `relay` by hand."""

    app: App
    accounts: Accounts
    accounts_consumer: StreamConsumer
    relay: OutboxRelay


def wire(env: config.Env, clock: Clock | None = None) -> Metering:
    """Metering from the environment. `clock` tells the time (the wall clock unless given): what
    day it is for approximate charges, and which windows are still open for the hot store."""
    clock = clock or SystemClock()
    engine = db.create_engine(config.database_url(env, "metering"))
    db.prepare(engine, MIGRATIONS, env)
    cluster = env.flag("REDIS_CLUSTER", False)
    redis = redis_client.connect(config.redis_url(env), cluster=cluster)
    wallet_url = env.text("WALLET_EVENTS_REDIS_URL", config.redis_url(env))
    wallet_redis = redis_client.connect(wallet_url, cluster=cluster)
    cards = env.text("METERING_RATE_CARDS_DIR", "")
    catalog = Catalog.load(Path(cards)) if cards else default_catalog()
    hot = HotState(redis, clock)
    units = SqlUnitsOfWork(engine)
    relay = OutboxRelay(engine, tables.outbox, redis, retention=Retention.from_env(env))
    relay_loop = Loop("outbox-relay", relay.step, RELAY_WAIT_S, last_step=True)
    workers_enabled = env.flag("METERING_WORKERS_ENABLED", True)
    ingestion = Ingestion(
        units,
        hot,
        Charging(PricingEngine(catalog)),
        on_commit=relay_loop.wake if workers_enabled else lambda: None,
    )
    usage = Usage(units, clock)
    servicer = MeteringServicer(ingestion, usage, UsageReport(units, usage), ChargeSummary(units))
    accounts = Accounts(units)
    alerts = OperationsAlerts(redis, "metering", Retention.from_env(env))
    # Readers of the charges and windows streams too far behind: an alert per crossing.
    lag = LagAlerts(redis, written_by("metering"), alerts, LagBound.from_env(env), clock)
    consumer_name = env.text("METERING_CONSUMER_NAME", f"{socket.gethostname()}-{os.getpid()}")
    consumer = StreamConsumer(
        GroupReader(
            wallet_redis, event_streams.WALLET_ACCOUNTS.name, CONSUMER_GROUP, consumer_name
        ),
        AccountEvents(accounts).on_entries,
        alerts,
        policy=RetryPolicy.from_env(env),
        block_ms=BLOCK_MS,
    )
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: metering_service_pb2_grpc.add_MeteringServiceServicer_to_server(
            servicer, server
        ),
        RULES,
    )
    _observe(relay, wallet_redis)
    app = App(
        bindings=[binding],
        workers=[
            Loop("accounts", consumer.step, 0.01),
            relay_loop,
            Loop("stream-lag", lag.step, CHECK_EVERY_S),
        ]
        if workers_enabled
        else [],
        on_close=[engine.dispose, redis.close, wallet_redis.close],
    )
    return Metering(app, accounts, consumer, relay)


def _observe(relay: OutboxRelay, wallet_redis: RedisClient) -> None:
    """Feed the gauges: outbox rows not yet published, and the accounts stream's backlog."""
    metrics.observe_outbox(relay, "metering")
    stream = event_streams.WALLET_ACCOUNTS.name
    lag, age = metrics.stream_source(wallet_redis, stream, CONSUMER_GROUP)
    gauges = metrics.instruments()
    gauges.stream_consumer_lag.add(lag)
    gauges.stream_consumer_age.add(age)


def build(env: config.Env) -> App:
    return wire(env).app
