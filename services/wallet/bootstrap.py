"""Wire the wallet service from the environment."""

from __future__ import annotations

from pathlib import Path

from billing.wallet.v1 import wallet_service_pb2, wallet_service_pb2_grpc

from services.common import config, db, redis_client
from services.common.grpc_server import App, ServiceBinding

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = wallet_service_pb2.DESCRIPTOR.services_by_name["WalletService"].full_name


def build(env: config.Env) -> App:
    engine = db.create_engine(config.database_url(env, "wallet"))
    db.migrate(engine, MIGRATIONS)
    redis = redis_client.connect(config.redis_url(env), cluster=env.flag("REDIS_CLUSTER", False))
    servicer = wallet_service_pb2_grpc.WalletServiceServicer()
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: wallet_service_pb2_grpc.add_WalletServiceServicer_to_server(
            servicer, server
        ),
    )
    return App(bindings=[binding], on_close=[engine.dispose, redis.close])
