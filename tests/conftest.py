"""Session-wide real servers: redis-server, a 3-master Redis Cluster, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.postgres import PostgresCluster
from tests.harness.redis_servers import RedisCluster, RedisServer, own_redis_server

DATABASES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = own_redis_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    cluster = RedisCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """A clean logical database on the shared redis-server."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    yield redis_server.url


@pytest.fixture
def cluster_url(redis_cluster: RedisCluster) -> str:
    """The 3-master Redis Cluster, emptied."""
    import redis

    for node in redis_cluster.nodes:
        client = redis.Redis(port=node.port)
        client.flushall()
        client.close()
    return redis_cluster.url
