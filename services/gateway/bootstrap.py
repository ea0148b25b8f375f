"""Wire the gateway from the environment: routes from the contracts, SQL, backends, documents."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from services.common import config, db, redis_client
from services.common.audit import Actor, AuditLog
from services.common.background import Loop
from services.common.clock import Clock, SystemClock
from services.common.outbox import OutboxRelay
from services.common.streams import Retention
from services.gateway.adapters import tables
from services.gateway.adapters.audit_sources import BackendAuditLogs
from services.gateway.adapters.backends import Backends
from services.gateway.adapters.unit_of_work import SqlUnitsOfWork
from services.gateway.config import GatewaySettings
from services.gateway.domain import policy
from services.gateway.entrypoints import docs_page
from services.gateway.entrypoints.access_log import AccessLog
from services.gateway.entrypoints.console import Console
from services.gateway.entrypoints.http_app import GatewayApp
from services.gateway.entrypoints.native import NativeRoutes
from services.gateway.entrypoints.native_openapi import native_paths
from services.gateway.entrypoints.openapi import build_document
from services.gateway.entrypoints.router import HttpRoute, Router
from services.gateway.entrypoints.transcoded import Transcoder
from services.gateway.service.admin import Administration
from services.gateway.service.audit_trail import AuditTrail
from services.gateway.service.auth import Authenticator
from services.gateway.service.principals import PrincipalSigner
from services.gateway.service.rate_limit import RateLimiter
from services.gateway.service.team import Team
from services.gateway.service.throttle import SignInThrottle
from services.gateway.service.user_access import UserAccess
from services.gateway.transcoding import comments
from services.gateway.transcoding.routes import Route, build_routes, load_services

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Documents:
    openapi_json: bytes
    docs_html: str


@dataclass
class Gateway:
    settings: GatewaySettings
    app: GatewayApp
    native: NativeRoutes
    engine: Engine
    routes: list[Route]

    @property
    def served(self) -> ASGIApp:
        """What the server runs: the app inside its access log, inside a server span per
        request (probes excepted) that continues the caller's trace."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        return OpenTelemetryMiddleware(AccessLog(self.app), excluded_urls="healthz,readyz")


def contract_routes() -> list[Route]:
    return build_routes(load_services())


def open_store(env: config.Env) -> tuple[Engine, SqlUnitsOfWork]:
    """The gateway's SQL, migrated on start unless DATABASE_MIGRATE_ON_START=false, and its
    units of work."""
    engine = db.create_engine(config.database_url(env, "gateway"))
    db.prepare(engine, MIGRATIONS, env)
    return engine, SqlUnitsOfWork(engine)


def administration(engine: Engine, actor: Actor, clock: Clock | None = None) -> Administration:
    """Keys, users and operators administered on the gateway's SQL (the CLI's), each change in
    its audit log as the actor's."""
    audit = AuditLog(engine, tables.audit_entries, "gateway")
    return Administration(SqlUnitsOfWork(engine), audit, actor, clock)


def build(env: config.Env, clock: Clock | None = None) -> Gateway:
    """The gateway; `clock` is what its use cases read the time from (the wall clock unless
    a test steps its own)."""
    clock = clock or SystemClock()
    routes = contract_routes()
    services = sorted({route.service.full_name for route in routes})
    settings = GatewaySettings.from_env(env, services)
    engine, units = open_store(env)
    unclassified = policy.unclassified(
        sorted({r.rpc_name for r in routes if r.http_method != "GET"})
    )
    if unclassified:
        log.warning("operators only until classified", extra={"rpcs": unclassified})
    audit = AuditLog(engine, tables.audit_entries, "gateway")
    authenticator = Authenticator(
        units,
        settings.token_secret,
        settings.token_ttl_s,
        settings.auth_cache_s,
        clock,
        throttle=SignInThrottle(units, settings.sign_in, audit, clock),
    )
    backends = Backends(settings.backends, settings.service_token)
    signer = PrincipalSigner(settings.service_token, settings.principal_key, clock)
    limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst, clock)
    transcoder = Transcoder(
        backends,
        authenticator,
        settings.max_body_bytes,
        settings.rpc_timeout_s,
        settings.stream_timeout_s,
        signer,
        limiter,
    )
    user_events = UserAccess(units, clock)

    def membership_changed(user_id: str, account_id: str) -> None:
        authenticator.forget_membership(user_id, account_id)
        user_events.changed(user_id, account_id)

    start_user_events(env, engine, user_events)
    native = NativeRoutes(
        authenticator,
        Team(units, membership_changed, audit, clock),
        backends,
        settings.max_body_bytes,
        settings.readiness_timeout_s,
        documents(routes),
        limiter=limiter,
        signer=signer,
        audit_trail=AuditTrail(audit, BackendAuditLogs(backends, settings.rpc_timeout_s)),
        forwarded_hops=settings.forwarded_hops,
        user_events=user_events,
        database_answers=lambda: db.answers(engine, settings.readiness_timeout_s),
    )
    console = Console(settings.payments_provider)
    http_routes = (
        native.routes()
        + console.routes()
        + [HttpRoute(r.http_method, r.template, transcoder.handler(r), r) for r in routes]
    )
    app = GatewayApp(Router(http_routes), backends, settings.grace_seconds)
    return Gateway(settings, app, native, engine, routes)


def start_user_events(env: config.Env, engine: Engine, user_events: UserAccess) -> None:
    """Publish users' access on billing.gateway.users: only where Redis is named
    (GATEWAY_EVENTS_REDIS_URL or REDIS_URL); the outbox keeps the events until then."""
    url = env.text("GATEWAY_EVENTS_REDIS_URL", env.text("REDIS_URL", ""))
    if not url:
        log.warning("REDIS_URL is not set: users' access changes are kept, not published")
        return
    events = redis_client.connect(url, cluster=env.flag("REDIS_CLUSTER", False))
    relay = OutboxRelay(engine, tables.outbox, events, retention=Retention.from_env(env))
    every_s = env.seconds("GATEWAY_USERS_RESYNC_SECONDS", 300.0)
    Loop("user-events", relay.step, 0.2, 1.0).start()
    Loop("user-resync", user_events.resync, every_s).start()


def documents(routes: list[Route]) -> Documents:
    try:
        version = metadata.version("billing-suite")
    except metadata.PackageNotFoundError:
        version = "0"
    document = build_document(routes, native_paths(), version, comments.load())
    return Documents(json.dumps(document).encode(), docs_page.render(document))
