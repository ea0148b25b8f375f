"""Wire the invoicing service from the environment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import grpc
from billing.invoicing.v1 import invoicing_service_pb2, invoicing_service_pb2_grpc

from services.common import config, db, grpc_client
from services.common.grpc_server import App, ServiceBinding, Worker
from services.invoicing.adapters import grpc_clients, pdf
from services.invoicing.adapters.payment_providers import FakePaymentProvider
from services.invoicing.entrypoints.grpc_servicer import InvoicingServicer, UseCases
from services.invoicing.entrypoints.scheduler import BillingScheduler
from services.invoicing.service import (
    billing_cycle,
    credit_notes,
    invoices,
    organizations,
    partner_days,
    payment_methods,
    payments,
    plans,
    receipts,
    subscriptions,
)
from services.invoicing.service.issuing import Issuing
from services.invoicing.service.ports import PaymentProvider, UsageSource, Wallet
from services.invoicing.service.settings import Clock, InvoicingSettings, utc_now

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = invoicing_service_pb2.DESCRIPTOR.services_by_name["InvoicingService"].full_name
PAYMENT_PROVIDERS = ("none", "fake")


@dataclass(frozen=True)
class Wired:
    app: App
    # Also built when switched off (INVOICING_SCHEDULER_ENABLED=false), to be driven by hand.
    scheduler: BillingScheduler


def build(env: config.Env) -> App:
    return wire(env).app


def wire(
    env: config.Env,
    *,
    usage: UsageSource | None = None,
    wallet: Wallet | None = None,
    payment_provider: PaymentProvider | None = None,
    clock: Clock = utc_now,
) -> Wired:
    """The service and its background loop; tests may pass other adapters for the ports."""
    settings = InvoicingSettings.from_env(env)
    engine = db.create_engine(config.database_url(env, "invoicing"))
    db.prepare(engine, MIGRATIONS, env)
    timeout_s = env.seconds("INVOICING_CLIENT_TIMEOUT_SECONDS", grpc_clients.DEFAULT_TIMEOUT_S)
    channels: list[grpc.Channel] = []
    if usage is None:
        channels.append(
            grpc_client.channel(env.text("METERING_ADDRESS", "127.0.0.1:50051"), timeout_s)
        )
        usage = grpc_clients.MeteringUsage(channels[-1], timeout_s)
    if wallet is None:
        channels.append(
            grpc_client.channel(env.text("WALLET_ADDRESS", "127.0.0.1:50052"), timeout_s)
        )
        wallet = grpc_clients.WalletClient(channels[-1], timeout_s)
    if payment_provider is None:
        provider = env.choice("INVOICING_PAYMENT_PROVIDER", "none", PAYMENT_PROVIDERS)
        payment_provider = FakePaymentProvider() if provider == "fake" else None

    issuing = Issuing(engine, settings)
    stuck_after_s = env.seconds(
        "INVOICING_STUCK_PAYMENT_SECONDS", payments.DEFAULT_STUCK_AFTER.total_seconds()
    )
    paying = payments.Payments(
        engine, payment_provider, wallet, clock, dt.timedelta(seconds=stuck_after_s)
    )
    billing = billing_cycle.BillingCycle(engine, issuing, usage, wallet, paying, settings, clock)
    use_cases = UseCases(
        plans=plans.Plans(engine),
        subscriptions=subscriptions.Subscriptions(engine, clock),
        billing=billing,
        receipts=receipts.Receipts(engine, issuing, clock),
        partner_days=partner_days.PartnerDays(engine, issuing, clock),
        credit_notes=credit_notes.CreditNotes(engine, issuing, clock),
        invoices=invoices.Invoices(engine, pdf.render),
        payments=paying,
        payment_methods=payment_methods.PaymentMethods(engine, clock),
        organizations=organizations.Organizations(engine, clock),
    )
    servicer = InvoicingServicer(use_cases)
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: invoicing_service_pb2_grpc.add_InvoicingServiceServicer_to_server(
            servicer, server
        ),
    )
    interval_s = env.seconds("INVOICING_SCHEDULER_INTERVAL_SECONDS", 3600.0)
    scheduler = BillingScheduler(billing, paying, clock, interval_s)
    workers: list[Worker] = []
    if env.flag("INVOICING_SCHEDULER_ENABLED", True):
        workers.append(scheduler)
    closers = [channel.close for channel in channels]
    app = App(bindings=[binding], workers=workers, on_close=[*closers, engine.dispose])
    return Wired(app=app, scheduler=scheduler)
