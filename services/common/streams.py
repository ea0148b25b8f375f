"""Redis Streams with consumer groups: read new entries, take over stale ones, acknowledge."""

from __future__ import annotations

import time
from typing import Any

import redis

from services.common.redis_client import RedisClient

Entry = tuple[bytes, dict[bytes, bytes]]
MIN_CLAIM_EVERY_S = 0.05


class GroupReader:
    """One consumer of one group on one stream (created on first use, from the beginning)."""

    def __init__(
        self, client: RedisClient, stream: str, group: str, consumer: str, claim_idle_ms: int
    ) -> None:
        self.client = client
        self.stream = stream
        self._group = group
        self._consumer = consumer
        self._claim_idle_ms = claim_idle_ms
        # Entries of a stopped consumer become claimable after claim_idle_ms: look for them
        # twice as often as that, not on every read.
        self._claim_every_s = max(claim_idle_ms / 2000, MIN_CLAIM_EVERY_S)
        self._next_claim_s = 0.0
        self._ready = False

    def _ensure_group(self) -> None:
        if self._ready:
            return
        try:
            self.client.xgroup_create(self.stream, self._group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._ready = True

    def read(self, count: int, block_ms: int | None = None) -> list[Entry]:
        """Entries left pending by a consumer that stopped, then new ones; at most `count`.

        With block_ms, waits that long for new entries when none is waiting.
        """
        self._ensure_group()
        entries: list[Entry] = []
        if time.monotonic() >= self._next_claim_s:
            claimed: Any = self.client.xautoclaim(
                self.stream, self._group, self._consumer, self._claim_idle_ms, "0-0", count=count
            )
            entries = [entry for entry in claimed[1] if entry[1] is not None]
            if len(claimed[1]) < count:  # all taken over for now
                self._next_claim_s = time.monotonic() + self._claim_every_s
        if len(entries) < count:
            fresh: Any = self.client.xreadgroup(
                self._group,
                self._consumer,
                {self.stream: ">"},
                count=count - len(entries),
                block=None if entries else block_ms,
            )
            for _stream, items in fresh or []:
                entries.extend(items)
        return entries

    def ack(self, ids: list[bytes]) -> None:
        if ids:
            self.client.xack(self.stream, self._group, *ids)

    def trim_acknowledged(self) -> None:
        """Drop entries every consumer of the group has acknowledged (the stream stays bounded)."""
        groups: Any = self.client.xinfo_groups(self.stream)
        for group in groups:
            name = group["name"]
            if (name.decode() if isinstance(name, bytes) else name) != self._group:
                continue
            if group["pending"]:
                return
            last = group["last-delivered-id"]
            self.client.xtrim(self.stream, minid=last, approximate=False)
