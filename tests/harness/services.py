"""Start the suite's services for tests: as separate processes, or in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.config import Env
from services.common.grpc_server import App, RunningServer, ServerSettings
from tests.harness.credentials import credentials
from tests.harness.ports import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_serving(address: str, timeout_s: float = 30.0, service: str = "") -> None:
    """Poll the stock gRPC health check until it answers SERVING."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{address} is not SERVING after {timeout_s}s")
            time.sleep(0.05)


class ServiceProcess:
    """`python -m services.<name>` (or another module) with its own environment, and the
    session's service credentials unless `env` names others.

    terminate() sends SIGTERM and returns the exit code after the drain.
    """

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        log_dir: Path,
        module: str = "",
        arguments: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.command = (sys.executable, "-m", module or f"services.{name}", *arguments)
        self.port = int(env.get(f"{name.upper()}_PORT") or free_port())
        self.env = {
            **os.environ,
            **credentials().env(name),
            **env,
            f"{name.upper()}_PORT": str(self.port),
        }
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> ServiceProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        if self.name == "gateway":
            from tests.harness.ports import wait_for_port

            wait_for_port(self.port, timeout_s)
            return
        deadline = time.monotonic() + timeout_s
        while self.process is not None and self.process.poll() is None:
            try:
                wait_serving(self.address, timeout_s=0.5)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
        raise RuntimeError(f"{self.name} exited early:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, then the exit code after the drain."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout_s)
        self.process = None
        return code

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def server_settings(
    port: int = 0, max_workers: int = 64, grace_seconds: float = 5
) -> ServerSettings:
    """Settings for a server in this process, accepting the session's callers."""
    return ServerSettings(
        host="127.0.0.1",
        port=port or free_port(),
        max_workers=max_workers,
        grace_seconds=grace_seconds,
        drain_delay_seconds=0,
        credentials=credentials().server(),
    )


class InProcessService:
    """A service built from a plain env mapping and served on a free port in this process.

    The env gains the session's service credentials (the token of a caller called `name`)."""

    def __init__(self, name: str, build: Callable[[Env], App], env: Mapping[str, str]) -> None:
        self.name = name
        settings = server_settings()
        self.port = settings.port
        self.server = RunningServer(name, settings, build(Env({**credentials().env(name), **env})))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> InProcessService:
        self.server.start()
        wait_serving(self.address)
        return self

    def stop(self) -> None:
        self.server.stop()
