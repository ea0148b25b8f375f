"""Run one gRPC service: health, reflection, interceptors, signals and a bounded drain."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common import logs, service_auth, telemetry
from services.common.config import ConfigError, Env
from services.common.interceptors import ServerInterceptor
from services.common.service_auth import Allow, ServerCredentials, ServiceAuth
from services.common.telemetry import grpc_server_interceptors

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background loop (a stream consumer, a sweeper) that lives as long as the server."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ServiceBinding:
    """One gRPC service to add: its full name, how to add it to a server, and who may call
    each of its RPCs (by RPC name; an RPC not listed is refused)."""

    name: str
    add: Callable[[grpc.Server], None]
    rules: Mapping[str, Allow] = field(default_factory=dict)


@dataclass
class App:
    bindings: Sequence[ServiceBinding]
    workers: Sequence[Worker] = ()
    on_close: Sequence[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    max_workers: int
    grace_seconds: float
    drain_delay_seconds: float
    # The callers the server accepts (BILLING_CALLERS) and the principal key.
    credentials: ServerCredentials

    @classmethod
    def from_env(cls, env: Env, prefix: str, default_port: int) -> ServerSettings:
        return cls(
            host=env.text(f"{prefix}_HOST", "0.0.0.0"),
            port=env.integer(f"{prefix}_PORT", default_port, minimum=0, maximum=65535),
            max_workers=env.integer(f"{prefix}_MAX_WORKERS", 32, minimum=1, maximum=1024),
            grace_seconds=env.seconds("SHUTDOWN_GRACE_SECONDS", 10.0),
            drain_delay_seconds=env.seconds("SHUTDOWN_DRAIN_DELAY_SECONDS", 0.0),
            credentials=ServerCredentials.from_env(env),
        )


class RunningServer:
    """A started server; stop() drains it once."""

    def __init__(self, name: str, settings: ServerSettings, app: App) -> None:
        self.name = name
        self._settings = settings
        self._app = app
        self._health = health.HealthServicer(experimental_non_blocking=True)
        rules: dict[str, Allow] = {}
        for binding in app.bindings:
            rules.update(service_auth.method_rules(binding.name, binding.rules))
        self.auth = ServiceAuth(settings.credentials, rules)
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=settings.max_workers),
            # Outermost first: the server span, then errors (refusals included) become status
            # codes, then the caller is identified.
            interceptors=[
                *grpc_server_interceptors(),
                ServerInterceptor(name),
                service_auth.ServiceAuthInterceptor(self.auth),
            ],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", 16 << 20),
                # Clients reconnect (and resolve again) now and then, so new pods get calls.
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 600_000),
            ],
        )
        for binding in app.bindings:
            binding.add(self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        names = [b.name for b in app.bindings]
        reflection.enable_server_reflection(
            (
                *names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self._server,
        )
        address = f"{settings.host}:{settings.port}"
        self.port = self._server.add_insecure_port(address)
        if self.port == 0:
            raise ConfigError(f"{name.upper()}_PORT", f"cannot listen on {address}")
        self._stopped = threading.Event()

    def start(self) -> None:
        self._server.start()
        for worker in self._app.workers:
            worker.start()
        for binding in self._app.bindings:
            self._health.set(binding.name, health_pb2.HealthCheckResponse.SERVING)
        self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        log.info("serving", extra={"port": self.port})

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._health.enter_graceful_shutdown()
        log.info("draining", extra={"grace_seconds": self._settings.grace_seconds})
        if self._settings.drain_delay_seconds:
            threading.Event().wait(self._settings.drain_delay_seconds)
        self._server.stop(self._settings.grace_seconds).wait()
        for worker in self._app.workers:
            worker.stop()
        for close in self._app.on_close:
            close()
        log.info("stopped")

    def wait(self) -> None:
        self._server.wait_for_termination()


def run(name: str, default_port: int, build: Callable[[Env], App], prefix: str = "") -> None:
    """The main of a service process: exits 0 after a graceful drain, 2 on bad config.
    prefix: of its settings (<PREFIX>_PORT...), when not the name in capitals."""
    env = Env()
    try:
        logs.configure(name, env.text("LOG_LEVEL", "INFO"))
        telemetry.configure(telemetry.TelemetrySettings.from_env(env, name))
        settings = ServerSettings.from_env(env, prefix or name.upper(), default_port)
        server = RunningServer(name, settings, build(env))
    except ConfigError as error:
        print(f"{name}: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("signal received", extra={"signal": signal.Signals(signum).name})
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server.start()
    stop_requested.wait()
    server.stop()
    telemetry.shutdown()
    sys.exit(0)
