"""The real stack (every service, the gateway serving the console) for the browser scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.console.seed import Seeded, seed
from tests.gateway.stack import BACKENDS, Stack, start_stack

# A logical Redis database of its own, so no other stack shares its streams.
REDIS_DB = 5


@dataclass
class ConsoleStack:
    stack: Stack
    seeded: Seeded

    @property
    def url(self) -> str:
        return self.stack.url


@contextmanager
def console_stack(folder: Path, redis_port: int) -> Iterator[ConsoleStack]:
    urls = {name: f"sqlite:///{folder / name}.db" for name in (*BACKENDS, "gateway")}
    redis_url = f"redis://127.0.0.1:{redis_port}/{REDIS_DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    running = start_stack(
        urls,
        redis_url,
        # Refused campaigns announced once a second: webhook scenarios need more than one.
        {"PAYMENTS_PROVIDER": "fake", "WALLET_REFUSED_NOTICE_SECONDS": "1"},
    )
    try:
        yield ConsoleStack(running, seed(running, urls))
    finally:
        running.stop()
