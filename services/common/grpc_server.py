"""Run one gRPC service: health, reflection, interceptors, signals and a bounded drain.

Shutdown, bounded: after SIGTERM the server shows NOT_SERVING for SHUTDOWN_DRAIN_DELAY_SECONDS,
then its calls and its workers get SHUTDOWN_GRACE_SECONDS together (workers are asked to stop
when the drain begins and finish the step under way; outbox relays, once the calls have
drained, and take one last step); a worker still stepping then is logged
as an error by name and left behind, and then the connections it may be using are not closed:
the process flushes telemetry and exits at once. Closing connections and flushing telemetry
get EXIT_MARGIN_S more; past all that the process logs what it was still doing and exits
anyway."""

from __future__ import annotations

import logging
import os
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
from services.common.background import Stoppable, wait_for_workers
from services.common.clock import Clock, SystemClock
from services.common.config import ConfigError, Env
from services.common.interceptors import ServerInterceptor
from services.common.service_auth import Allow, ServerCredentials, ServiceAuth
from services.common.telemetry import grpc_server_interceptors

log = logging.getLogger(__name__)
EXIT_MARGIN_S = 3.0  # after the drain: closing connections and flushing telemetry, at most
MIN_WORKER_WAIT_S = 1.0  # workers are waited for at least this long after the calls drained
SIGNAL_POLL_S = 0.2  # how soon a SIGTERM delivered to a worker's thread is seen
EXIT_LEFT_BEHIND = 1  # the exit code when a worker or a step of the shutdown had to be abandoned


class Worker(Stoppable, Protocol):
    """A background loop (a stream consumer, a sweeper) that lives as long as the server
    (services.common.background.Loop)."""

    def start(self) -> None: ...


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

    def __init__(
        self, name: str, settings: ServerSettings, app: App, clock: Clock | None = None
    ) -> None:
        self.name = name
        self._settings = settings
        self._app = app
        self._clock = clock or SystemClock()
        self.stage = "starting"  # what the server is doing, for a shutdown that overruns
        self._health = health.HealthServicer(experimental_non_blocking=True)
        rules: dict[str, Allow] = {}
        for binding in app.bindings:
            rules.update(service_auth.method_rules(binding.name, binding.rules))
        self.auth = ServiceAuth(settings.credentials, rules)
        self._server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=settings.max_workers, thread_name_prefix=f"{name}-call"
            ),
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
        self._stopping = threading.Lock()
        self._stopped: bool | None = None  # stop()'s answer, once drained

    def start(self) -> None:
        self._server.start()
        for worker in self._app.workers:
            worker.start()
        for binding in self._app.bindings:
            self._health.set(binding.name, health_pb2.HealthCheckResponse.SERVING)
        self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        self.stage = "serving"
        log.info("serving", extra={"port": self.port})

    @property
    def stop_budget_s(self) -> float:
        """The longest stop() takes, closing included (workers left behind or not)."""
        return self._settings.drain_delay_seconds + self._settings.grace_seconds + EXIT_MARGIN_S

    def stop(self) -> bool:
        """Drain once, within stop_budget_s unless closing a connection hangs; whether every
        worker stopped (those that did not are logged as errors, by name). A later call waits
        for the first and gives its answer."""
        with self._stopping:
            if self._stopped is None:
                self._stopped = self._stop()
            return self._stopped

    def _stop(self) -> bool:
        grace_s = self._settings.grace_seconds
        self._health.enter_graceful_shutdown()
        self.stage = "draining"
        log.info("draining", extra={"grace_seconds": grace_s})
        if self._settings.drain_delay_seconds:
            threading.Event().wait(self._settings.drain_delay_seconds)
        began_ms = self._clock.monotonic_ms()
        workers = self._app.workers
        for worker in workers:
            if not worker.last_step:
                worker.request_stop()
        if not self._server.stop(grace_s).wait(grace_s + MIN_WORKER_WAIT_S):
            log.error("calls still running after the grace period", extra={"grace_s": grace_s})
        self.stage = "stopping workers"
        for worker in workers:
            if worker.last_step:  # an outbox relay: what the last calls committed is published
                worker.request_stop()
        spent_s = (self._clock.monotonic_ms() - began_ms) / 1000
        left_behind = wait_for_workers(
            workers, max(grace_s - spent_s, MIN_WORKER_WAIT_S), self._clock
        )
        if left_behind:
            # A worker left behind may still be using the connections: they are not closed
            # under it; the process exits without tidying.
            log.error(
                "connections left open: workers still running", extra={"workers": left_behind}
            )
        else:
            self.stage = "closing"
            for close in self._app.on_close:
                close()
        self.stage = "stopped"
        log.info("stopped", extra={"workers_left_behind": left_behind})
        return not left_behind

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
    # Woken now and then: a signal delivered to another thread runs its handler only once the
    # main thread runs Python again (an untimed wait may never return).
    while not stop_requested.wait(SIGNAL_POLL_S):
        pass
    _exit_after(server.stop_budget_s, server)
    stopped = server.stop()
    server.stage = "flushing telemetry"
    telemetry.shutdown()
    if not stopped:  # a worker left behind: no interpreter teardown under it
        _flush_logs()
        os._exit(EXIT_LEFT_BEHIND)
    sys.exit(0)


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def _exit_after(seconds: float, server: RunningServer) -> None:
    """Exit the process when its shutdown has not ended within `seconds`, saying where it was
    and which threads it would have waited for."""

    def overrun() -> None:
        threads = sorted(
            thread.name
            for thread in threading.enumerate()
            if not thread.daemon and thread is not threading.main_thread()
        )
        log.error(
            "shutdown overran its budget; exiting without waiting",
            extra={"budget_s": seconds, "stage": server.stage, "threads": threads},
        )
        _flush_logs()
        os._exit(EXIT_LEFT_BEHIND)

    timer = threading.Timer(seconds, overrun)
    timer.daemon = True
    timer.start()
