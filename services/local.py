"""`make up`: the whole suite on this machine, on embedded defaults; Ctrl-C stops it all.

Starts a local redis-server (unless REDIS_URL points at one that answers), then metering,
wallet, invoicing, notifications and the gateway as child processes, each migrating its own
SQLite file in the data folder, and prints their addresses.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

from services.common.config import Env, data_dir

SERVICES = (
    ("metering", "METERING_PORT", 50051),
    ("wallet", "WALLET_PORT", 50052),
    ("invoicing", "INVOICING_PORT", 50053),
    ("notifications", "NOTIFICATIONS_PORT", 50054),
    ("gateway", "GATEWAY_PORT", 8080),
)
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def _redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
        client.close()
        return True
    except (redis.exceptions.RedisError, ValueError):
        return False


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _start_redis(folder: Path, port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit(
            "redis-server is not installed: run `sudo apt-get install -y redis-server` "
            "or set REDIS_URL to a running Redis"
        )
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _redis_answers(f"redis://127.0.0.1:{port}/0"):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"redis-server did not start on port {port}")
        time.sleep(0.1)
    return process


def _wait_listening(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while _port_is_free(port):
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with code {process.returncode}; see its log above")
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not listen on port {port}")
        time.sleep(0.1)


def main() -> None:
    env = Env()
    folder = data_dir(env).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    child_env = dict(os.environ, BILLING_DATA_DIR=str(folder))
    # Card payments go to the deterministic fake provider on a local run, unless told otherwise
    # (PAYMENTS_PROVIDER=stripe with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET).
    child_env.setdefault("PAYMENTS_PROVIDER", "fake")
    # Webhooks to this machine (a receiver on localhost) are allowed on a local run only.
    child_env.setdefault("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "true")
    redis_url = env.text("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not _redis_answers(redis_url):
        parsed = urlsplit(redis_url)
        port = parsed.port or 6379
        if parsed.hostname not in ("127.0.0.1", "localhost") or not _port_is_free(port):
            sys.exit(f"REDIS_URL: nothing answers at {redis_url} and it is not a free local port")
        children.append(("redis", _start_redis(folder / "redis", port)))
        redis_url = f"redis://127.0.0.1:{port}/0"
    child_env["REDIS_URL"] = redis_url
    stopping = False

    def stop(_signum: int = 0, _frame: object = None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for _, process in reversed(children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(children):
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
            print(f"stopped {name} (exit {process.returncode})", flush=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for name, port_variable, default_port in SERVICES:
            port = int(child_env.get(port_variable) or default_port)
            child_env[f"{name.upper()}_ADDRESS"] = f"127.0.0.1:{port}"
            child_env[port_variable] = str(port)
        for name, port_variable, _ in SERVICES:
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                env=child_env,
                start_new_session=True,
            )
            children.append((name, process))
            _wait_listening(int(child_env[port_variable]), process, name)
    except SystemExit:
        stop()
        raise
    print(f"\nredis      {redis_url}", flush=True)
    for name, port_variable, _ in SERVICES:
        scheme = "http://" if name == "gateway" else "grpc "
        print(f"{name:<10} {scheme}127.0.0.1:{child_env[port_variable]}", flush=True)
    print(f"payments   {child_env['PAYMENTS_PROVIDER']} (PAYMENTS_PROVIDER)", flush=True)
    print(f"data       {folder}\nCtrl-C stops everything.", flush=True)
    while not stopping:
        for name, process in children:
            if process.poll() is not None and not stopping:
                print(f"{name} exited with code {process.returncode}; stopping", flush=True)
                stop()
                sys.exit(1)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
