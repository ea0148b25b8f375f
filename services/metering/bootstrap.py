"""Wire the metering service from the environment.

Environment: DATABASE_URL, REDIS_URL (hot state and the streams metering writes),
REDIS_CLUSTER, WALLET_EVENTS_REDIS_URL (the wallet's account stream; defaults to REDIS_URL),
METERING_RATE_CARDS_DIR (defaults to the pricing library's data), METERING_WORKERS_ENABLED
(default true: account consumer and outbox relay run in the background),
METERING_CONSUMER_NAME, METERING_STREAM_MAXLEN.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from billing.metering.v1 import metering_service_pb2, metering_service_pb2_grpc
from sqlalchemy.engine import Engine

from pricing import Catalog, PricingEngine, default_catalog
from services.common import config, db, metrics, redis_client
from services.common.grpc_server import App, ServiceBinding
from services.common.redis_client import RedisClient
from services.metering.adapters import tables
from services.metering.adapters.hot_state import HotState
from services.metering.adapters.streams import DEFAULT_STREAM_MAXLEN, OutboxRelay, StreamConsumer
from services.metering.entrypoints.grpc_servicer import MeteringServicer
from services.metering.service.accounts import ACCOUNTS_STREAM, Accounts
from services.metering.service.charging import Charging
from services.metering.service.ingest import Ingestion
from services.metering.service.report import UsageReport
from services.metering.service.usage import Usage

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = metering_service_pb2.DESCRIPTOR.services_by_name["MeteringService"].full_name
CONSUMER_GROUP = "metering"


@dataclass
class Metering:
    """The wired service; tests drive `accounts_consumer` and `relay` by hand."""

    app: App
    accounts: Accounts
    accounts_consumer: StreamConsumer
    relay: OutboxRelay


def wire(env: config.Env) -> Metering:
    engine = db.create_engine(config.database_url(env, "metering"))
    db.prepare(engine, MIGRATIONS, env)
    cluster = env.flag("REDIS_CLUSTER", False)
    redis = redis_client.connect(config.redis_url(env), cluster=cluster)
    wallet_url = env.text("WALLET_EVENTS_REDIS_URL", config.redis_url(env))
    wallet_redis = redis_client.connect(wallet_url, cluster=cluster)
    cards = env.text("METERING_RATE_CARDS_DIR", "")
    catalog = Catalog.load(Path(cards)) if cards else default_catalog()
    hot = HotState(redis)
    maxlen = env.integer("METERING_STREAM_MAXLEN", DEFAULT_STREAM_MAXLEN, minimum=1_000)
    relay = OutboxRelay(engine, redis, maxlen)
    workers_enabled = env.flag("METERING_WORKERS_ENABLED", True)
    ingestion = Ingestion(
        engine,
        hot,
        Charging(PricingEngine(catalog)),
        on_commit=relay.wake if workers_enabled else lambda: None,
    )
    usage = Usage(engine)
    servicer = MeteringServicer(ingestion, usage, UsageReport(engine, usage))
    accounts = Accounts(engine)
    consumer_name = env.text("METERING_CONSUMER_NAME", f"{socket.gethostname()}-{os.getpid()}")
    consumer = StreamConsumer(
        wallet_redis, ACCOUNTS_STREAM, CONSUMER_GROUP, consumer_name, accounts.on_stream_entry
    )
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: metering_service_pb2_grpc.add_MeteringServiceServicer_to_server(
            servicer, server
        ),
    )
    _observe(engine, wallet_redis)
    app = App(
        bindings=[binding],
        workers=[consumer, relay] if workers_enabled else [],
        on_close=[engine.dispose, redis.close, wallet_redis.close],
    )
    return Metering(app, accounts, consumer, relay)


def _observe(engine: Engine, wallet_redis: RedisClient) -> None:
    """Feed the gauges: outbox batches not yet relayed, and the accounts stream's backlog."""
    gauges = metrics.instruments()

    def unrelayed() -> list[tuple[float, dict[str, str]]]:
        with engine.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(tables.outbox))
            return [(float(count.scalar_one()), {"service": "metering"})]

    gauges.outbox_backlog.add(unrelayed)
    lag, age = metrics.stream_source(wallet_redis, ACCOUNTS_STREAM, CONSUMER_GROUP)
    gauges.stream_consumer_lag.add(lag)
    gauges.stream_consumer_age.add(age)


def build(env: config.Env) -> App:
    return wire(env).app
