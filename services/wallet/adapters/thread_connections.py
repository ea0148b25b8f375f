"""The send path's EVALSHA on Redis connections owned by the calling thread.

For every command redis-py's client checks a connection out of its pool, packs the command,
parses and checks the connection back in: on the send path that costs as much as Redis's own
work. Each serving thread keeps one connection per Redis node instead, and sends the command
packed once by hiredis. A connection error, a timeout, a cluster redirect or an unknown script
falls back to the full client, which retries, follows the redirect and refreshes its slot map.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
import redis
from redis.cluster import RedisCluster

from services.common.redis_client import RedisClient

FALL_BACK = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.AskError,  # and MovedError
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.NoScriptError,
)


class ThreadConnections:
    """EVALSHA through this thread's own connection to the node that owns the first key."""

    def __init__(self, client: RedisClient) -> None:
        self._client = client
        self._cluster = isinstance(client, RedisCluster)
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()

    def evalsha(
        self,
        sha: str,
        keys: Sequence[str],
        args: Sequence[Any],
        fall_back: Callable[[Sequence[str], Sequence[Any]], Any],
    ) -> Any:
        connection = self._connection(keys[0])
        if connection is None:
            return fall_back(keys, args)
        try:
            packed = hiredis.pack_command(("EVALSHA", sha, len(keys), *keys, *args))
            connection.send_packed_command((packed,), check_health=False)
            return connection.read_response()
        except FALL_BACK:
            self._forget(connection)
            return fall_back(keys, args)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.disconnect()

    def _connection(self, key: str) -> Any:
        mine: dict[str, Any] | None = getattr(self._local, "connections", None)
        if mine is None:
            mine = self._local.connections = {}
        if self._cluster:
            node = self._client.get_node_from_key(key)  # type: ignore[union-attr]
            if node is None or node.redis_connection is None:
                return None
            name, pool = node.name, node.redis_connection.connection_pool
        else:
            name, pool = "", self._client.connection_pool  # type: ignore[union-attr]
        connection = mine.get(name)
        if connection is None:
            connection = mine[name] = pool.connection_class(**pool.connection_kwargs)
            with self._lock:
                self._opened.append(connection)
        return connection

    def _forget(self, connection: Any) -> None:
        connection.disconnect()
        mine: dict[str, Any] = self._local.connections
        for name, held in list(mine.items()):
            if held is connection:
                del mine[name]
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
