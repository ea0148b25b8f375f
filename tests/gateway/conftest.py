"""One stack per database kind (SQLite, then PostgreSQL), shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import DATABASES
from tests.gateway.stack import BACKENDS, Stack, start_stack
from tests.harness.redis_servers import RedisServer

# A logical Redis database per stack, so two stacks never share streams.
REDIS_DB = {"sqlite": 1, "postgresql": 2}


@pytest.fixture(scope="module", params=DATABASES)
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
) -> Iterator[Stack]:
    folder: Path = tmp_path_factory.mktemp("stack")
    names = (*BACKENDS, "gateway")
    if request.param == "sqlite":
        urls = {name: f"sqlite:///{folder / name}.db" for name in names}
    else:
        cluster = request.getfixturevalue("postgres")
        urls = {name: cluster.create_database() for name in names}
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB[request.param]}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    running = start_stack(urls, redis_url, {})
    yield running
    running.stop()
