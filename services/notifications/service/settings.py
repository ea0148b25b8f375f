"""The notifications service's settings, read once from the environment with safe defaults."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from services.common.background import RetryPolicy
from services.common.config import ConfigError, Env, redis_url
from services.notifications.domain.retry import DAY_MS, RetrySchedule

CONSUMER_GROUP = "notifications"
SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")


@dataclass(frozen=True)
class NotificationsSettings:
    events_redis_url: str
    redis_cluster: bool
    consumer_name: str
    retry_policy: RetryPolicy  # stream entries that fail to be recorded
    workers: bool
    worker_interval_s: float
    worker_idle_max_s: float
    batch: int
    # Webhooks
    allow_private_targets: bool
    webhook_timeout_s: float
    delivery_threads: int
    lease_ms: int  # a claimed attempt not finished by then is taken again (a killed process)
    delivery_retries: RetrySchedule
    disable_after_ms: int  # an endpoint failing this long is disabled
    # Email
    smtp_url: str  # "" = log instead of sending
    smtp_from: str
    smtp_timeout_s: float
    operators_email: str
    email_retries: RetrySchedule
    invoicing_address: str
    invoicing_timeout_s: float

    @classmethod
    def from_env(cls, env: Env) -> NotificationsSettings:
        smtp_url = env.text("SMTP_URL", "")
        if smtp_url and smtp_url.split("://", 1)[0].lower() not in SMTP_SCHEMES:
            raise ConfigError("SMTP_URL", f"the scheme must be one of {', '.join(SMTP_SCHEMES)}")
        period_s = env.integer(
            "NOTIFICATIONS_RETRY_PERIOD_SECONDS", 3 * 86_400, minimum=1, maximum=30 * 86_400
        )
        return cls(
            events_redis_url=env.text("NOTIFICATIONS_EVENTS_REDIS_URL", redis_url(env)),
            redis_cluster=env.flag("REDIS_CLUSTER", False),
            consumer_name=env.text(
                "NOTIFICATIONS_CONSUMER_NAME", f"{socket.gethostname()}-{os.getpid()}"
            ),
            retry_policy=RetryPolicy.from_env(env),
            workers=env.flag("NOTIFICATIONS_WORKERS", True),
            worker_interval_s=env.seconds("NOTIFICATIONS_WORKER_INTERVAL_SECONDS", 0.05),
            worker_idle_max_s=env.seconds("NOTIFICATIONS_WORKER_IDLE_MAX_SECONDS", 0.5),
            batch=env.integer("NOTIFICATIONS_BATCH", 200, minimum=1, maximum=5_000),
            allow_private_targets=env.flag("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", False),
            webhook_timeout_s=env.seconds("NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", 10.0),
            delivery_threads=env.integer(
                "NOTIFICATIONS_DELIVERY_THREADS", 16, minimum=1, maximum=256
            ),
            lease_ms=int(env.seconds("NOTIFICATIONS_LEASE_SECONDS", 60.0) * 1000),
            delivery_retries=RetrySchedule(
                first_ms=int(env.seconds("NOTIFICATIONS_RETRY_FIRST_SECONDS", 5.0) * 1000),
                max_ms=int(env.seconds("NOTIFICATIONS_RETRY_MAX_SECONDS", 6 * 3600.0) * 1000),
                period_ms=period_s * 1000,
            ),
            disable_after_ms=env.integer(
                "NOTIFICATIONS_DISABLE_AFTER_SECONDS", 5 * 86_400, minimum=1, maximum=90 * 86_400
            )
            * 1000,
            smtp_url=smtp_url,
            smtp_from=env.text("SMTP_FROM", "billing@localhost"),
            smtp_timeout_s=env.seconds("SMTP_TIMEOUT_SECONDS", 10.0),
            operators_email=env.text("NOTIFICATIONS_OPERATORS_EMAIL", ""),
            email_retries=RetrySchedule(first_ms=30_000, max_ms=3_600_000, period_ms=DAY_MS),
            invoicing_address=env.text("INVOICING_ADDRESS", "127.0.0.1:50053"),
            invoicing_timeout_s=env.seconds("NOTIFICATIONS_CLIENT_TIMEOUT_SECONDS", 5.0),
        )
