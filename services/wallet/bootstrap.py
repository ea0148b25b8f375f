"""Wire the wallet service from the environment."""

from __future__ import annotations

import contextlib
import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from billing.metering.v1 import events_pb2
from billing.wallet.v1 import wallet_service_pb2, wallet_service_pb2_grpc
from sqlalchemy.engine import Engine

import pricing
from services.common import config, db, event_streams, redis_client
from services.common.audit import AuditLog
from services.common.background import (
    Loop,
    OperationsAlerts,
    StreamConsumer,
    decoded_event,
)
from services.common.clock import Clock, SystemClock
from services.common.grpc_server import App, ServiceBinding
from services.common.lag_alerts import CHECK_EVERY_S, LagAlerts, LagBound, written_by
from services.common.outbox import OutboxRelay
from services.common.redis_client import RedisClient
from services.common.streams import Entry, GroupReader, Retention
from services.wallet.adapters import tables
from services.wallet.adapters.account_work import account_reading, account_work
from services.wallet.adapters.crossings import Crossings
from services.wallet.adapters.day_work import days_work
from services.wallet.adapters.hot_store import HotStore
from services.wallet.adapters.ledger_work import SqlMoneyWorks
from services.wallet.adapters.notice_work import notice_work
from services.wallet.adapters.profile_messages import update_fingerprint
from services.wallet.adapters.recharge_work import recharge_works
from services.wallet.adapters.settlement_work import SqlSettlementWorks
from services.wallet.domain.accounts import TopUpFeeRule
from services.wallet.domain.partitions import Partitioner
from services.wallet.entrypoints import gauges
from services.wallet.entrypoints.access import RULES
from services.wallet.entrypoints.account_events import AccountFollower, refresh_published_accounts
from services.wallet.entrypoints.charge_events import charges_handler
from services.wallet.entrypoints.grpc_servicer import WalletServicer
from services.wallet.entrypoints.prices import PriceBreakdowns, window_event
from services.wallet.entrypoints.recharge_answers import RechargeAnswers
from services.wallet.entrypoints.timings import DecisionTimings
from services.wallet.service import settings as names
from services.wallet.service.account_search import AccountSearch
from services.wallet.service.accounts import AccountCache, Accounts
from services.wallet.service.alerts import BalanceAlerts
from services.wallet.service.authorise import Authoriser
from services.wallet.service.auto_recharge import AutoRecharges
from services.wallet.service.balance_watch import BalanceWatch
from services.wallet.service.credits import Credits
from services.wallet.service.days import Days
from services.wallet.service.expiry_notices import ExpiryNotices
from services.wallet.service.funds import Funds
from services.wallet.service.price_list import PriceList
from services.wallet.service.projection import Projector
from services.wallet.service.quotes import Quoter
from services.wallet.service.recharge_outcomes import RechargeOutcomes
from services.wallet.service.recovery import Recovery
from services.wallet.service.reservations import Reservations
from services.wallet.service.send_notices import SendNotices
from services.wallet.service.settings import WalletSettings
from services.wallet.service.settlements import Settlements
from services.wallet.service.windows import Windows

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = wallet_service_pb2.DESCRIPTOR.services_by_name["WalletService"].full_name


@dataclass
class Wallet:
    """Everything the wallet is made of; tests and the admin command use the same wiring."""

    settings: WalletSettings
    engine: Engine
    redis: RedisClient
    hot: HotStore
    partitioner: Partitioner
    accounts: Accounts
    authoriser: Authoriser
    reservations: Reservations
    funds: Funds
    windows: Windows
    settlements: Settlements
    recovery: Recovery
    projector: Projector
    outbox: OutboxRelay
    credits: Credits
    days: Days
    recharges: AutoRecharges
    # Invoicing's answers to recharge requests (billing.invoicing.events, group "wallet").
    recharge_outcomes: StreamConsumer
    watch: BalanceWatch
    works: SqlSettlementWorks  # the send path's units of work on SQL
    loops: dict[str, Loop] = field(default_factory=dict)
    clients: list[RedisClient] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)  # what the send path tells the time by
    send_notices: SendNotices | None = None  # refused campaigns and flagged sends

    def observe(self) -> None:
        """Feed the process's gauges (a process of its own only: the sources stay)."""
        gauges.register(self.outbox, self.redis, self.clients[1], self.partitioner.all())

    def close(self) -> None:
        self.hot.close()
        for client in self.clients:
            client.close()
        self.engine.dispose()


def _connect(url: str, settings: WalletSettings) -> RedisClient:
    return redis_client.connect(url, cluster=settings.redis_cluster)


def assemble(env: config.Env, clock: Clock | None = None) -> Wallet:
    """The wallet from the environment. `clock` tells the time (the wall clock unless given;
    tests step one instead of sleeping): credits expire by it, reservations are settled and
    expired by it, top-ups and recharges are timed by it, accounts, days and notices are dated
    by it; other use cases still read the wall clock."""
    clock = clock or SystemClock()
    settings = WalletSettings.from_env(env)
    engine = db.create_engine(config.database_url(env, "wallet"))
    db.prepare(engine, MIGRATIONS, env)
    redis = _connect(settings.redis_url, settings)
    metering_events = _connect(settings.metering_events_url, settings)
    wallet_events = _connect(settings.wallet_events_url, settings)
    invoicing_events = _connect(settings.invoicing_events_url, settings)
    hot = HotStore(redis)
    partitioner = Partitioner(settings.partitions)
    cache = AccountCache(clock, settings.account_view_max_age_s)
    accounts = Accounts(account_work(engine), hot, partitioner, cache, clock, update_fingerprint)
    quoter = Quoter(pricing.PricingEngine(pricing.default_catalog()), PriceBreakdowns())
    reservations = Reservations(hot, partitioner, clock)
    windows = Windows(hot, partitioner, clock)
    works = SqlSettlementWorks(engine, hot, partitioner)
    settlements = Settlements(works, hot, partitioner, accounts, clock)
    retention = Retention.from_env(env)
    alerts = OperationsAlerts(wallet_events, "wallet", retention)
    policy = settings.retry_policy
    projector_consumers: list[StreamConsumer] = []
    fee = TopUpFeeRule(settings.top_up_fee_basis_points, settings.top_up_fee_micros)
    money_work = SqlMoneyWorks(engine)
    funds = Funds(money_work, hot, partitioner, accounts, clock, fee)
    projector = Projector(works, projector_consumers, hot, clock)
    for keys in partitioner.all():
        reader = GroupReader(redis, keys.ledger, names.PROJECTOR_GROUP, settings.consumer_name)
        projector_consumers.append(
            StreamConsumer(reader, projector.handle, alerts, settings.worker_batch, policy)
        )
    notices_work = notice_work(engine)
    balance_alerts = BalanceAlerts(notices_work)
    recharge_work = recharge_works(engine)
    recharges = AutoRecharges(recharge_work, accounts, funds, settings.recharge_retry_s, clock)
    outcomes = RechargeOutcomes(recharge_work, clock, int(settings.recharge_backoff_s * 1000))
    recharge_outcomes = StreamConsumer(
        GroupReader(
            invoicing_events,
            event_streams.INVOICING_EVENTS.name,
            names.CONSUMER_GROUP,
            settings.consumer_name,
        ),
        RechargeAnswers(outcomes).handle,
        alerts,
        settings.worker_batch,
        policy,
    )
    watch = BalanceWatch(
        accounts,
        partitioner,
        Crossings(redis),
        balance_alerts,
        recharges,
        settings.low_balance_micros,
        clock,
    )
    projector.listeners.append(watch.after_projection)
    funds.listeners.append(watch.after_top_up)
    authoriser = Authoriser(accounts, hot, partitioner, quoter, settings, clock)
    send_notices = SendNotices(
        notices_work,
        clock,
        env.integer("WALLET_REFUSED_NOTICE_SECONDS", 60, minimum=1, maximum=86_400),
        env.integer("WALLET_FLAGGED_NOTICE_SECONDS", 3_600, minimum=1, maximum=86_400),
    )
    notices = ExpiryNotices(
        notices_work,
        accounts,
        clock,
        env.integer("WALLET_CREDIT_NOTICE_DAYS", 7, minimum=1, maximum=90),
        env.integer("WALLET_DAYS_NOTICE_DAYS", 3, minimum=1, maximum=90),
        settings.worker_batch,
    )
    days = Days(days_work(engine), accounts, hot, partitioner, clock)
    accounts.on_refresh.append(days.restore_hot)
    wallet = Wallet(
        settings=settings,
        engine=engine,
        redis=redis,
        hot=hot,
        partitioner=partitioner,
        accounts=accounts,
        authoriser=authoriser,
        reservations=reservations,
        funds=funds,
        windows=windows,
        settlements=settlements,
        recovery=Recovery(
            works,
            hot,
            partitioner,
            accounts,
            projector.project_stream,
            lambda: settlements.apply_recorded(0, settings.worker_batch),
            clock,
        ),
        projector=projector,
        outbox=OutboxRelay(
            engine,
            tables.outbox,
            wallet_events,
            after_publish=lambda events: refresh_published_accounts(accounts, events),
            retention=retention,
        ),
        credits=Credits(money_work, accounts, hot, partitioner, clock),
        days=days,
        recharges=recharges,
        recharge_outcomes=recharge_outcomes,
        watch=watch,
        works=works,
        send_notices=send_notices,
        clock=clock,
        clients=[redis, metering_events, wallet_events, invoicing_events],
    )

    def consumer(stream: str, handle: Callable[[list[Entry]], object]) -> StreamConsumer:
        reader = GroupReader(metering_events, stream, names.CONSUMER_GROUP, settings.consumer_name)
        return StreamConsumer(reader, handle, alerts, settings.worker_batch, policy)

    def apply_windows(entries: list[Entry]) -> None:
        for _entry_id, fields in entries:
            event = decoded_event(fields, events_pb2.WindowChanged)
            windows.apply_event(event.event_id, window_event(event))

    charges = consumer(names.CHARGES_STREAM, charges_handler(settlements))

    def settle_charges() -> int:
        if not settlements.ready():
            return 0  # a partition is being rebuilt: charges wait, their attempts unspent
        return charges.step() + settlements.apply_recorded(settings.top_up_retry_s, batch)

    batch, every = settings.worker_batch, settings.worker_interval_s
    follower = AccountFollower(wallet_events, accounts, batch)
    steps = {
        "recovery": wallet.recovery.step,
        "projector": wallet.projector.step_in_batches,
        "outbox": wallet.outbox.step,
        "accounts": follower.step,
        "funding": lambda: accounts.apply_scheduled_funding(batch),
        "expiry": lambda: reservations.expire_overdue(batch),
        "top-ups": lambda: wallet.funds.apply_recorded(settings.top_up_retry_s, batch),
        "recharges": lambda: recharges.resume(batch) + recharges.fire_due(batch),
        "recharge-outcomes": recharge_outcomes.step,
        "credits": lambda: (
            wallet.credits.write_off_expired(limit=batch)
            + wallet.credits.apply_recorded(settings.top_up_retry_s, batch)
        ),
        "windows": consumer(names.WINDOWS_STREAM, apply_windows).step,
        "charges": settle_charges,
    }
    bound = LagBound.from_env(env, policy)
    lag = LagAlerts(wallet_events, written_by("wallet"), alerts, bound, clock)
    # The projector's partition ledgers: money, on the hot state's Redis.
    ledgers = [
        event_streams.EventStream(k.ledger, (names.PROJECTOR_GROUP,)) for k in partitioner.all()
    ]
    ledger_lag = LagAlerts(redis, ledgers, alerts, bound, clock)
    wallet.loops = {
        name: Loop(name, step, every, settings.worker_idle_max_s) for name, step in steps.items()
    }
    wallet.loops["outbox"].last_step = True  # publishes what the last calls committed
    # The expiry scanners look again at most once per scan interval.
    notice_scan_s = env.seconds("WALLET_NOTICE_SCAN_SECONDS", 60.0)
    wallet.loops["notices"] = Loop("notices", notices.step, notice_scan_s)
    # Readers of the accounts, recharges and ledger streams too far behind: an alert per crossing.
    wallet.loops["stream-lag"] = Loop(
        "stream-lag", lambda: lag.step() + ledger_lag.step(), CHECK_EVERY_S
    )
    wallet.recovery.step()  # a Redis that never held the hot state (or lost it) gets it now
    return wallet


def build(env: config.Env) -> App:
    """The serving process (python -m services.wallet)."""
    wallet = assemble(env)
    app = serve(wallet)
    wallet.observe()
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """What start-up built (rate cards, descriptors, engines) lives as long as the process: take
    it out of the cyclic collector's scans, so that a full collection stops pausing the send
    path for tens of milliseconds. Only for a process of its own, never for one that builds
    many wallets (frozen garbage is never freed)."""
    gc.collect()
    gc.freeze()


def serve(wallet: Wallet) -> App:
    """The gRPC service and background loops of an assembled wallet."""
    timings = None
    if wallet.settings.timings_path:
        timings = DecisionTimings(wallet.settings.timings_path)
        _dump_on_signal(timings)
    servicer = WalletServicer(  # type: ignore[abstract]
        wallet.accounts,
        wallet.authoriser,
        wallet.reservations,
        wallet.funds,
        wallet.windows,
        timings,
        credits=wallet.credits,
        days=wallet.days,
        recharges=wallet.recharges,
        price_list=PriceList(
            wallet.accounts, pricing.PricingEngine(pricing.default_catalog()), wallet.clock
        ),
        audit=AuditLog(wallet.engine, tables.audit_entries, "wallet"),
        search=AccountSearch(account_reading(wallet.engine)),
        notices=wallet.send_notices,
    )
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: wallet_service_pb2_grpc.add_WalletServiceServicer_to_server(
            servicer, server
        ),
        RULES,
    )
    workers = running_loops(wallet)
    return App(bindings=[binding], workers=workers, on_close=[wallet.close])


def running_loops(wallet: Wallet) -> list[Loop]:
    """The loops this process runs: all, or those named in WALLET_LOOPS; none when switched off."""
    if not wallet.settings.workers:
        return []
    unknown = wallet.settings.loops - set(wallet.loops)
    if unknown:
        raise config.ConfigError("WALLET_LOOPS", f"unknown loops {sorted(unknown)}")
    chosen = wallet.settings.loops or set(wallet.loops)
    return [loop for name, loop in wallet.loops.items() if name in chosen]


def _dump_on_signal(timings: DecisionTimings) -> None:
    """SIGUSR1 writes the decision timings (benchmarks only; set WALLET_TIMINGS_PATH)."""
    # Outside the main thread signals cannot be handled: timings then stay in memory.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGUSR1, lambda _signum, _frame: timings.dump())
