"""Wire the notifications service from the environment.

Workers: one consumer (group "notifications") per stream it reads, the webhook dispatcher and
the email sender. Tests and benchmarks pass their own clock, mailer or invoicing directory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from billing.notifications.v1 import notifications_service_pb2, notifications_service_pb2_grpc
from sqlalchemy.engine import Engine

from services.common import config, db, event_streams, grpc_client, redis_client
from services.common.background import Loop, OperationsAlerts, StreamConsumer
from services.common.clock import Clock, SystemClock
from services.common.grpc_server import App, ServiceBinding
from services.common.redis_client import RedisClient
from services.common.service_auth import own_token
from services.common.streams import Entry, GroupReader, Retention
from services.notifications.adapters.invoicing import InvoicingDirectory
from services.notifications.adapters.mail import LogMailer, SmtpMailer
from services.notifications.adapters.unit_of_work import SqlUnitsOfWork
from services.notifications.adapters.webhooks import WebhookSender
from services.notifications.entrypoints.access import RULES
from services.notifications.entrypoints.announced_events import announced_handler
from services.notifications.entrypoints.grpc_servicer import NotificationsServicer
from services.notifications.entrypoints.user_events import user_access_handler
from services.notifications.service.deliveries import Dispatcher
from services.notifications.service.emails import Directory, EmailSender
from services.notifications.service.endpoints import Endpoints
from services.notifications.service.intake import Intake
from services.notifications.service.ports import Mailer
from services.notifications.service.settings import CONSUMER_GROUP, NotificationsSettings
from services.notifications.service.users import UserCopy

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = notifications_service_pb2.DESCRIPTOR.services_by_name[
    "NotificationsService"
].full_name
# The streams whose events are announced (the gateway's sign-in locks too), and the
# gateway's stream of users.
ANNOUNCED = (
    event_streams.WALLET_ALERTS,
    event_streams.INVOICING_EVENTS,
    event_streams.OPERATIONS_ALERTS,
    event_streams.GATEWAY_SIGN_INS,
)
CONSUMER_BLOCK_MS = 250


@dataclass
class Notifications:
    settings: NotificationsSettings
    engine: Engine
    events: RedisClient
    intake: Intake
    endpoints: Endpoints
    dispatcher: Dispatcher
    emails: EmailSender
    consumers: dict[str, StreamConsumer]
    loops: dict[str, Loop] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()


def mailer_from(settings: NotificationsSettings) -> Mailer:
    if not settings.smtp_url:
        log.warning(
            "SMTP_URL is not set: emails are NOT SENT, only written to this log "
            "(set SMTP_URL=smtp+starttls://user:password@host:587 to send them)"
        )
        print("notifications: SMTP_URL is not set: emails are logged, NOT SENT", flush=True)
        return LogMailer()
    mailer = SmtpMailer(settings.smtp_url, settings.smtp_from, settings.smtp_timeout_s)
    log.info("emails go out through %s", mailer.describe())
    return mailer


def assemble(
    env: config.Env,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    directory: Directory | None = None,
) -> Notifications:
    settings = NotificationsSettings.from_env(env)
    clock = clock or SystemClock()
    engine = db.create_engine(config.database_url(env, "notifications"))
    db.migrate(engine, MIGRATIONS)
    events = redis_client.connect(settings.events_redis_url, cluster=settings.redis_cluster)
    units = SqlUnitsOfWork(engine)
    closers: list[Callable[[], None]] = []
    if directory is None:
        channel = grpc_client.channel(settings.invoicing_address, token=own_token(env))
        closers.append(channel.close)
        directory = InvoicingDirectory(channel, settings.invoicing_timeout_s)
    mailer = mailer or mailer_from(settings)
    sender = WebhookSender(settings.webhook_timeout_s, settings.allow_private_targets)
    closers.append(sender.close)
    intake = Intake(
        units,
        clock,
        settings.delivery_retries,
        settings.email_retries,
        settings.operators_email,
    )
    dispatcher = Dispatcher(
        units,
        clock,
        sender.send,
        settings.delivery_retries,
        settings.lease_ms,
        settings.disable_after_ms,
        settings.delivery_threads,
        settings.batch,
        intake.record,
    )
    closers.append(dispatcher.close)
    emails = EmailSender(
        units,
        clock,
        mailer,
        directory,
        settings.email_retries,
        settings.lease_ms,
        settings.operators_email,
    )
    alerts = OperationsAlerts(events, "notifications", Retention.from_env(env))

    def consumer(stream: str, handle: Callable[[list[Entry]], object]) -> StreamConsumer:
        reader = GroupReader(events, stream, CONSUMER_GROUP, settings.consumer_name)
        return StreamConsumer(
            reader, handle, alerts, settings.batch, settings.retry_policy, CONSUMER_BLOCK_MS
        )

    handle = announced_handler(intake)
    consumers = {stream.name: consumer(stream.name, handle) for stream in ANNOUNCED}
    consumers[event_streams.GATEWAY_USERS.name] = consumer(
        event_streams.GATEWAY_USERS.name, user_access_handler(UserCopy(units))
    )
    endpoints = Endpoints(units, clock, settings.delivery_retries, settings.allow_private_targets)
    wired = Notifications(
        settings=settings,
        engine=engine,
        events=events,
        intake=intake,
        endpoints=endpoints,
        dispatcher=dispatcher,
        emails=emails,
        consumers=consumers,
        closers=[*closers, events.close, engine.dispose],
    )
    every, idle = settings.worker_interval_s, settings.worker_idle_max_s
    loops = {
        f"consume:{name}": Loop(f"consume:{name}", item.step, every, idle)
        for name, item in consumers.items()
    }
    loops["webhooks"] = Loop("webhooks", dispatcher.step, every, idle)
    loops["emails"] = Loop("emails", emails.step, every, idle)
    intake.after_record += [loops["webhooks"].wake, loops["emails"].wake]
    endpoints.wake = loops["webhooks"].wake
    wired.loops = loops
    return wired


def serve(notifications: Notifications) -> App:
    servicer = NotificationsServicer(notifications.endpoints)
    binding = ServiceBinding(
        SERVICE_NAME,
        lambda server: notifications_service_pb2_grpc.add_NotificationsServiceServicer_to_server(
            servicer, server
        ),
        RULES,
    )
    workers = list(notifications.loops.values()) if notifications.settings.workers else []
    return App(bindings=[binding], workers=workers, on_close=[notifications.close])


def build(env: config.Env) -> App:
    return serve(assemble(env))
