"""Real redis-server processes for tests: a single server and a 3-master cluster."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.harness.ports import free_port, free_port_below, wait_for_port

# A cluster node also listens on its port + 10000, so its port must stay at or below 55535.
CLUSTER_PORT_LIMIT = 55_536


def _redis_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (apt-get install redis-server)")
    return path


class PortTaken(RuntimeError):
    """The port chosen was bound by another process before this redis-server could."""


class RedisServer:
    """One redis-server on a free port, with AOF like production."""

    def __init__(self, port: int | None = None, extra: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self._dir = Path(tempfile.mkdtemp(prefix=f"redis-{self.port}-"))
        self._extra = extra
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self._process = subprocess.Popen(
            [
                _redis_binary("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self._dir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "no",
                *self._extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        serving_pid = int(client.info("server")["process_id"])
        client.close()
        if self._process is None or serving_pid != self._process.pid:
            # Another redis-server took the port first; sharing it would mix two runs' data.
            self.stop()
            raise PortTaken(f"port {self.port} is served by another redis-server")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)


def own_redis_server(attempts: int = 3) -> RedisServer:
    """A started redis-server of this run's own: another run's server is never shared."""
    for _ in range(attempts - 1):
        try:
            return RedisServer().start()
        except PortTaken:
            continue
    return RedisServer().start()


class RedisCluster:
    """Three masters with no replicas, slots spread by redis-cli --cluster create."""

    def __init__(self, masters: int = 3) -> None:
        self.nodes = [
            RedisServer(
                port=free_port_below(CLUSTER_PORT_LIMIT),
                extra=("--cluster-enabled", "yes", "--cluster-node-timeout", "5000"),
            )
            for _ in range(masters)
        ]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self) -> RedisCluster:
        for node in self.nodes:
            # Each node keeps its cluster config in its own folder.
            node._extra = (*node._extra, "--cluster-config-file", f"nodes-{node.port}.conf")
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [
                _redis_binary("redis-cli"),
                "--cluster",
                "create",
                *addresses,
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        self._wait_until_ok()
        return self

    def _wait_until_ok(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            states = []
            for node in self.nodes:
                info = redis.Redis(port=node.port).execute_command("CLUSTER INFO")
                if isinstance(info, dict):  # redis-py 6+ parses CLUSTER INFO into a dict
                    states.append(info.get("cluster_state") == "ok")
                    continue
                text = info.decode() if isinstance(info, bytes) else str(info)
                states.append("cluster_state:ok" in text)
            if all(states):
                return
            time.sleep(0.1)
        raise TimeoutError("redis cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
