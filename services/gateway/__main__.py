"""python -m services.gateway: the REST/JSON gateway on GATEWAY_PORT (default 8080)."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from types import FrameType

import uvicorn

from services.common import logs, telemetry
from services.common.config import ConfigError, Env
from services.gateway.bootstrap import Gateway, build

log = logging.getLogger("services.gateway")


class DrainingServer(uvicorn.Server):
    """On SIGTERM: report not ready, wait the drain delay, then stop accepting and finish
    in-flight requests within the grace period."""

    def __init__(self, config: uvicorn.Config, gateway: Gateway) -> None:
        super().__init__(config)
        self._gateway = gateway

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._gateway.native.draining:
            self.force_exit = sig == signal.SIGINT
            return
        log.info("signal received", extra={"signal": signal.Signals(sig).name})
        self._gateway.native.draining = True
        delay = self._gateway.settings.drain_delay_seconds
        if delay:
            timer = threading.Timer(delay, self._stop)
            timer.daemon = True
            timer.start()
        else:
            self._stop()

    def _stop(self) -> None:
        self.should_exit = True


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it small answers wait ~40 ms for delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(
            "GATEWAY_PORT", f"cannot listen on {host}:{port}: {error.strerror}"
        ) from None
    sock.set_inheritable(True)
    return sock


def main() -> None:
    env = Env()
    try:
        logs.configure("gateway", env.text("LOG_LEVEL", "INFO"))
        telemetry.configure(telemetry.TelemetrySettings.from_env(env, "gateway"))
        gateway = build(env)
        sock = listen(gateway.settings.host, gateway.settings.port)
    except ConfigError as error:
        print(f"gateway: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    settings = gateway.settings
    server = DrainingServer(
        uvicorn.Config(
            gateway.served,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=max(1, round(settings.grace_seconds)),
            server_header=False,
        ),
        gateway,
    )
    log.info("serving", extra={"port": sock.getsockname()[1], "routes": len(gateway.routes)})
    server.run(sockets=[sock])
    gateway.engine.dispose()
    telemetry.shutdown()
    log.info("stopped")
    sys.exit(0 if server.started else 1)


if __name__ == "__main__":
    main()
