"""Wire the invoicing service from the environment."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import grpc
from billing.invoicing.v1 import invoicing_service_pb2, invoicing_service_pb2_grpc

from services.common import (
    config,
    db,
    event_streams,
    grpc_client,
    metrics,
    redis_client,
    service_auth,
)
from services.common.audit import AuditLog
from services.common.background import Loop, OperationsAlerts, RetryPolicy, StreamConsumer
from services.common.clock import CalledClock
from services.common.grpc_server import App, ServiceBinding, Worker
from services.common.lag_alerts import CHECK_EVERY_S, LagAlerts, LagBound, written_by
from services.common.outbox import OutboxRelay
from services.common.redis_client import RedisClient
from services.common.streams import GroupReader, Retention
from services.invoicing.adapters import grpc_clients, invoice_messages, pdf, tables
from services.invoicing.adapters.billing_work import SqlBillingWork
from services.invoicing.adapters.payment_providers import FakePaymentProvider, NoPaymentProvider
from services.invoicing.adapters.payment_work import SqlPaymentWork
from services.invoicing.entrypoints import payment_requests
from services.invoicing.entrypoints.access import RULES
from services.invoicing.entrypoints.grpc_servicer import InvoicingServicer, UseCases
from services.invoicing.entrypoints.recharge_requests import RechargeRequestEntries
from services.invoicing.entrypoints.scheduler import BillingScheduler
from services.invoicing.service import (
    billing_cycle,
    card_charges,
    credit_notes,
    fund_quotes,
    funding_switch,
    fundings,
    invoice_card_payments,
    invoice_reading,
    organizations,
    paid_invoices,
    partner_billing,
    partner_contracts,
    partner_days,
    payment_events,
    payment_methods,
    payment_reversals,
    payment_sweeps,
    payments,
    plans,
    postpaid,
    receipts,
    recharges,
    subscriptions,
    tax,
)
from services.invoicing.service.invoice_issuing import InvoiceIssuing
from services.invoicing.service.ports import ChannelCounts, PaymentProvider, UsageSource, Wallet
from services.invoicing.service.ports.audit import AUDIT_SERVICE
from services.invoicing.service.settings import Clock, InvoicingSettings, utc_now

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = invoicing_service_pb2.DESCRIPTOR.services_by_name["InvoicingService"].full_name
PAYMENT_PROVIDERS = ("none", "fake", "stripe")
RELAY_WAIT_S = 1.0  # how often the outbox relay looks for events to publish
RECHARGES_WAIT_S = 0.5  # how often recharge requests are looked for, while none come
SETTLEMENT_WAIT_S = 5.0  # how often paid postpaid invoices not settled yet are looked for
CONSUMER_GROUP = "invoicing"


@dataclass(frozen=True)
class Wired:
    app: App
    # Also built when switched off (INVOICING_SCHEDULER_ENABLED=false), to be driven by hand.
    scheduler: BillingScheduler
    # Publishes the outbox (billing.invoicing.events); None without an events Redis.
    relay: OutboxRelay | None = None
    # The wallet's recharge requests (billing.wallet.recharges); None without an events Redis.
    recharge_requests: StreamConsumer | None = None


def build(env: config.Env) -> App:
    wired = wire(env)
    if wired.relay is not None:
        metrics.observe_outbox(wired.relay, "invoicing")
    return wired.app


def wire(
    env: config.Env,
    *,
    usage: UsageSource | None = None,
    wallet: Wallet | None = None,
    payment_provider: PaymentProvider | None = None,
    clock: Clock = utc_now,
    channel_counts: ChannelCounts | None = None,
    events: RedisClient | None = None,
) -> Wired:
    """The service and its background loop; tests may pass other adapters for the ports.

    events: the Redis of the event streams. By default it is connected to when background
    work is on (INVOICING_SCHEDULER_ENABLED): the outbox relay and the recharge requests'
    consumer run then. Given, they are built anyway, to be stepped by hand when it is off."""
    settings = InvoicingSettings.from_env(env)
    engine = db.create_engine(config.database_url(env, "invoicing"))
    db.prepare(engine, MIGRATIONS, env)
    timeout_s = env.seconds("INVOICING_CLIENT_TIMEOUT_SECONDS", grpc_clients.DEFAULT_TIMEOUT_S)
    channels: list[grpc.Channel] = []
    token = service_auth.own_token(env) if usage is None or wallet is None else ""
    if usage is None:
        address = env.text("METERING_ADDRESS", "127.0.0.1:50051")
        channels.append(grpc_client.channel(address, timeout_s, token))
        usage = grpc_clients.MeteringUsage(channels[-1], timeout_s)
    if wallet is None:
        address = env.text("WALLET_ADDRESS", "127.0.0.1:50052")
        channels.append(grpc_client.channel(address, timeout_s, token))
        wallet = grpc_clients.WalletClient(channels[-1], timeout_s)
    if payment_provider is None:
        payment_provider = payment_provider_from(env)
    if channel_counts is None:  # the wallet counts partners' channels
        if isinstance(wallet, grpc_clients.WalletClient):
            channel_counts = wallet
        else:
            address = env.text("WALLET_ADDRESS", "127.0.0.1:50052")
            token = token or service_auth.own_token(env)
            channels.append(grpc_client.channel(address, timeout_s, token))
            channel_counts = grpc_clients.WalletClient(channels[-1], timeout_s)
    background = env.flag("INVOICING_SCHEDULER_ENABLED", True)
    closers = [channel.close for channel in channels]
    wallet_events = events
    if events is None and background:
        events, wallet_events, event_closers = _event_clients(env)
        closers.extend(event_closers)
    retention = Retention.from_env(env)
    alerts = OperationsAlerts(events, "invoicing", retention) if events is not None else None

    ticks = CalledClock(clock)

    def works() -> SqlBillingWork:
        return SqlBillingWork(engine, ticks)

    invoice_issuing = InvoiceIssuing(works, settings)
    stuck_after_s = env.seconds(
        "INVOICING_STUCK_PAYMENT_SECONDS", payment_sweeps.DEFAULT_STUCK_AFTER.total_seconds()
    )
    stuck_after = dt.timedelta(seconds=stuck_after_s)
    payment_work = partial(SqlPaymentWork, engine, ticks)
    cards = card_charges.CardCharges(payment_work, payment_provider, ticks)
    audit = AuditLog(engine, tables.audit_entries, AUDIT_SERVICE)
    settlement = postpaid.PostpaidSettlement(works, wallet, ticks)
    paid = paid_invoices.PaidInvoices(payment_work, wallet, ticks, settlement)
    claims = invoice_card_payments.CardClaims(cards, ticks)
    paying = payments.Payments(payment_work, cards, claims, paid, ticks, payment_requests.pay_print)
    sweeps = payment_sweeps.PaymentSweeps(
        paying.finish, claims, payment_work, cards, ticks, stuck_after
    )
    receipts_ = receipts.Receipts(works, invoice_issuing, ticks)
    action_expiry = dt.timedelta(
        seconds=env.seconds(
            "INVOICING_ACTION_EXPIRY_SECONDS", fundings.DEFAULT_ACTION_EXPIRY.total_seconds()
        )
    )
    funding = fundings.Fundings(
        payment_work,
        cards,
        wallet,
        receipts.FundingReceipts(receipts_, payment_requests.funding_receipt),
        ticks,
        stuck_after,
        action_expiry,
    )
    partners = partner_billing.PartnerBilling(works, invoice_issuing, wallet, channel_counts, ticks)
    billing = billing_cycle.BillingCycle(
        works, invoice_issuing, usage, wallet, paying, settings, ticks, partners=partners
    )
    use_cases = UseCases(
        plans=plans.Plans(works),
        subscriptions=subscriptions.Subscriptions(works, ticks, wallet),
        billing=billing,
        receipts=receipts_,
        partner_days=partner_days.PartnerDays(works, invoice_issuing, ticks),
        partner_contracts=partner_contracts.PartnerContracts(works, wallet, channel_counts, ticks),
        credit_notes=credit_notes.CreditNotes(works, invoice_issuing, ticks),
        invoices=invoice_reading.Invoices(
            works,
            lambda invoice: pdf.render(invoice_messages.invoice(invoice)),
            wallet if isinstance(wallet, grpc_clients.WalletClient) else None,
        ),
        payments=paying,
        payment_methods=payment_methods.PaymentMethods(
            payment_work, ticks, cards, wallet, payment_requests.setup_print
        ),
        fundings=funding,
        fund_quotes=fund_quotes.FundQuotes(payment_work, wallet, usage, ticks),
        payment_events=payment_events.PaymentEvents(
            payment_work,
            cards,
            paying,
            funding,
            payment_reversals.PaymentReversals(
                payment_work, paid, funding, wallet, ticks, settlement, alerts
            ),
            ticks,
        ),
        organizations=organizations.Organizations(works, ticks, settings.issuer.issuer_id),
        tax=tax.TaxSettings(works, settings.issuer.issuer_id, ticks),
        funding=funding_switch.FundingSwitch(payment_work, wallet, ticks),
    )
    servicer = InvoicingServicer(use_cases, audit)
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: invoicing_service_pb2_grpc.add_InvoicingServiceServicer_to_server(
            servicer, server
        ),
        RULES,
    )
    interval_s = env.seconds("INVOICING_SCHEDULER_INTERVAL_SECONDS", 3600.0)
    scheduler = BillingScheduler(billing, paid, sweeps, funding, ticks, action_expiry)
    workers: list[Worker] = []
    relay = consumer = None
    if events is not None and wallet_events is not None and alerts is not None:
        relay = OutboxRelay(engine, tables.outbox, events, retention=retention)
        requests = RechargeRequestEntries(
            recharges.RechargeRequests(payment_work, cards, funding, ticks)
        )
        reader = GroupReader(
            wallet_events,
            event_streams.WALLET_RECHARGES.name,
            CONSUMER_GROUP,
            env.text("INVOICING_CONSUMER_NAME", f"{socket.gethostname()}-{os.getpid()}"),
        )
        consumer = StreamConsumer(
            reader,
            requests.handle,
            alerts,
            env.integer("INVOICING_RECHARGE_BATCH", 20, minimum=1, maximum=1_000),
            RetryPolicy.from_env(env),
            per_entry=True,  # a card charge each: a stop is seen between them
        )
    if background and relay is not None and consumer is not None:
        workers.append(Loop("billing-scheduler", scheduler.step, interval_s))
        workers.append(Loop("outbox-relay", relay.step, RELAY_WAIT_S, last_step=True))
        workers.append(Loop("recharge-requests", consumer.step, RECHARGES_WAIT_S))
        workers.append(Loop("wallet-settlement", settlement.settle_pending, SETTLEMENT_WAIT_S))
        if alerts is not None and events is not None:
            # Readers of invoicing's events too far behind: an alert per crossing.
            lag = LagAlerts(events, written_by("invoicing"), alerts, LagBound.from_env(env), ticks)
            workers.append(Loop("stream-lag", lag.step, CHECK_EVERY_S))
    app = App(bindings=[binding], workers=workers, on_close=[*closers, engine.dispose])
    return Wired(app=app, scheduler=scheduler, relay=relay, recharge_requests=consumer)


def _event_clients(env: config.Env) -> tuple[RedisClient, RedisClient, list[Callable[[], None]]]:
    """Invoicing's event stream's Redis, and the one the wallet's recharge requests are on."""
    cluster = env.flag("REDIS_CLUSTER", False)
    events_url = env.text("INVOICING_EVENTS_REDIS_URL", config.redis_url(env))
    wallet_url = env.text("WALLET_EVENTS_REDIS_URL", config.redis_url(env))
    events = redis_client.connect(events_url, cluster=cluster)
    if wallet_url == events_url:
        return events, events, [events.close]
    wallet_events = redis_client.connect(wallet_url, cluster=cluster)
    return events, wallet_events, [events.close, wallet_events.close]


def payment_provider_from(env: config.Env) -> PaymentProvider:
    """PAYMENTS_PROVIDER: stripe (keys from STRIPE_*), fake (local runs and tests) or none."""
    chosen = env.choice("PAYMENTS_PROVIDER", "none", PAYMENT_PROVIDERS)
    if chosen == "stripe":
        from services.invoicing.adapters.stripe_payments import StripePayments, StripeSettings

        return StripePayments(StripeSettings.from_env(env))
    if chosen == "fake":
        return FakePaymentProvider()
    return NoPaymentProvider()
