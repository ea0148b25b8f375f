"""A Redis client from REDIS_URL that has answered PING, on one server or a cluster."""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster

from services.common.config import ConfigError

VARIABLE = "REDIS_URL"

RedisClient = redis.Redis | RedisCluster


def connect(url: str, cluster: bool = False, timeout_s: float = 2.0) -> RedisClient:
    """Connect and PING; a ConfigError naming REDIS_URL when it cannot."""
    try:
        client: RedisClient
        if cluster:
            client = RedisCluster.from_url(
                url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
            )
        else:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
            )
        client.ping()
    except ValueError as error:
        raise ConfigError(VARIABLE, f"not a Redis URL: {error}") from None
    except (redis.exceptions.RedisError, redis.exceptions.RedisClusterException) as error:
        raise ConfigError(VARIABLE, f"cannot reach Redis at {url}: {error}") from None
    return client
