"""Wire the invoicing service from the environment."""

from __future__ import annotations

from pathlib import Path

from billing.invoicing.v1 import invoicing_service_pb2, invoicing_service_pb2_grpc

from services.common import config, db
from services.common.grpc_server import App, ServiceBinding
from services.invoicing.entrypoints.grpc_servicer import InvoicingServicer
from services.invoicing.service.plans import Plans

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = invoicing_service_pb2.DESCRIPTOR.services_by_name["InvoicingService"].full_name


def build(env: config.Env) -> App:
    engine = db.create_engine(config.database_url(env, "invoicing"))
    db.migrate(engine, MIGRATIONS)
    servicer = InvoicingServicer(Plans(engine))
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: invoicing_service_pb2_grpc.add_InvoicingServiceServicer_to_server(
            servicer, server
        ),
    )
    return App(bindings=[binding], on_close=[engine.dispose])
