"""The wallet's settings, read once from the environment with safe defaults."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from services.common import event_streams
from services.common.background import RetryPolicy
from services.common.config import Env, redis_url

ACCOUNTS_STREAM = event_streams.WALLET_ACCOUNTS.name
ALERTS_STREAM = event_streams.WALLET_ALERTS.name
WINDOWS_STREAM = event_streams.METERING_WINDOWS.name
CHARGES_STREAM = event_streams.METERING_CHARGES.name
CONSUMER_GROUP = "wallet"
PROJECTOR_GROUP = "wallet-projector"


@dataclass(frozen=True)
class WalletSettings:
    partitions: int
    hold_s: int  # how long a reservation holds funds before it expires
    message_record_s: int  # how long AuthoriseSend remembers a message_id
    max_batch_recipients: int
    workers: bool  # background loops on (the default) or off for tests that drive them
    loops: frozenset[str]  # which loops this process runs (WALLET_LOOPS); empty = all
    consumer_name: str
    worker_interval_s: float
    worker_idle_max_s: float  # an idle loop's wait doubles from worker_interval_s up to this
    worker_batch: int  # entries or rows one loop step handles at most
    retry_policy: (
        RetryPolicy  # stream entries: retries, take-over of a dead consumer's, dead letters
    )
    top_up_retry_s: float  # a recorded top-up not applied after this long is re-applied
    redis_url: str
    redis_cluster: bool
    metering_events_url: str
    wallet_events_url: str
    invoicing_events_url: str  # where invoicing answers recharge requests
    timings_path: str  # where decision timings are written on SIGUSR1 (benchmarks); "" = off
    low_balance_micros: int = 0  # default low-balance alert threshold; 0 = no low alert
    top_up_fee_basis_points: int = 0  # default top-up fee, on top of the amount
    top_up_fee_micros: int = 0
    # A recharge invoicing has not answered this long is asked of it again (the same key).
    recharge_retry_s: float = 900.0
    # A declined auto-recharge is tried again after this wait, doubled each time.
    recharge_backoff_s: float = 900.0
    # A cached account view is read again after this long, even if its change event was lost.
    account_view_max_age_s: float = 30.0

    @classmethod
    def from_env(cls, env: Env) -> WalletSettings:
        url = redis_url(env)
        default_consumer = f"{socket.gethostname()}-{os.getpid()}"
        return cls(
            partitions=env.integer("WALLET_PARTITIONS", 16, minimum=1, maximum=1024),
            hold_s=env.integer("WALLET_HOLD_SECONDS", 900, minimum=1, maximum=7 * 86400),
            message_record_s=env.integer(
                "WALLET_MESSAGE_RECORD_SECONDS", 7 * 86400, minimum=60, maximum=90 * 86400
            ),
            max_batch_recipients=10_000,
            workers=env.flag("WALLET_WORKERS", True),
            loops=frozenset(
                name.strip() for name in env.text("WALLET_LOOPS", "").split(",") if name.strip()
            ),
            consumer_name=env.text("WALLET_CONSUMER_NAME", default_consumer),
            worker_interval_s=env.seconds("WALLET_WORKER_INTERVAL_SECONDS", 0.2),
            worker_idle_max_s=env.seconds("WALLET_WORKER_IDLE_MAX_SECONDS", 1.0),
            worker_batch=env.integer("WALLET_WORKER_BATCH", 500, minimum=1, maximum=10_000),
            retry_policy=RetryPolicy.from_env(env, "WALLET_CLAIM_IDLE_MS", 10_000),
            top_up_retry_s=env.seconds("WALLET_TOP_UP_RETRY_SECONDS", 5.0),
            redis_url=url,
            redis_cluster=env.flag("REDIS_CLUSTER", False),
            metering_events_url=env.text("METERING_EVENTS_REDIS_URL", url),
            wallet_events_url=env.text("WALLET_EVENTS_REDIS_URL", url),
            invoicing_events_url=env.text("INVOICING_EVENTS_REDIS_URL", url),
            timings_path=env.text("WALLET_TIMINGS_PATH", ""),
            low_balance_micros=env.integer("WALLET_LOW_BALANCE_MICROS", 0, maximum=10**15),
            top_up_fee_basis_points=env.integer(
                "WALLET_TOP_UP_FEE_BASIS_POINTS", 0, maximum=10_000
            ),
            top_up_fee_micros=env.integer("WALLET_TOP_UP_FEE_MICROS", 0, maximum=10**12),
            recharge_retry_s=env.seconds("WALLET_RECHARGE_RETRY_SECONDS", 900.0),
            recharge_backoff_s=env.seconds("WALLET_RECHARGE_BACKOFF_SECONDS", 900.0),
            account_view_max_age_s=env.seconds("WALLET_ACCOUNT_VIEW_MAX_AGE_SECONDS", 30.0),
        )
