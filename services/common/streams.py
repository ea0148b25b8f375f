"""Redis Streams with consumer groups: read, retry, acknowledge, and trim only what every
declared group has acknowledged. A group that vanished (Redis lost its data) is made again.
A stream declared to expire also loses entries older than its retention, read or not; each
such loss is counted and logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

from services.common import metrics
from services.common.config import Env
from services.common.redis_client import RedisClient

log = logging.getLogger(__name__)
Entry = tuple[bytes, dict[bytes, bytes]]
T = TypeVar("T")
DAY_MS = 86_400_000
DEFAULT_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 365
# A blocking read waits at most this long (under the Redis client's 2 s socket timeout), so a
# consumer's loop sees a stop promptly. 0 would be Redis's "forever": refused.
MAX_BLOCK_MS = 1_000


@dataclass(frozen=True, slots=True)
class Pending:
    """An entry delivered to a consumer and not acknowledged yet."""

    entry_id: bytes
    consumer: str
    idle_ms: int
    deliveries: int


def is_missing_group(error: redis.exceptions.ResponseError) -> bool:
    return "NOGROUP" in str(error)


def ensure_groups(client: RedisClient, stream: str, groups: Sequence[str]) -> None:
    """Create the stream and each group reading it from the start, where missing."""
    for group in groups:
        try:
            client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise


class GroupReader:
    """One consumer of one group on one stream. A missing group is created again from the
    start of the stream: after Redis lost its data, what is written anew is read."""

    def __init__(self, client: RedisClient, stream: str, group: str, consumer: str) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self._ready = False

    def _call(self, action: Callable[[], T]) -> T:
        if not self._ready:
            ensure_groups(self.client, self.stream, [self.group])
            self._ready = True
        try:
            return action()
        except redis.exceptions.ResponseError as error:
            if not is_missing_group(error):
                raise
            log.warning("consumer group recreated", extra={"stream": self.stream})
            ensure_groups(self.client, self.stream, [self.group])
            return action()

    def read(self, count: int, block_ms: int | None = None) -> list[Entry]:
        """New entries for this consumer, at most `count`; waits up to block_ms for some (from 1
        to MAX_BLOCK_MS; None: no wait)."""
        check_block_ms(block_ms)
        found: Any = self._call(
            lambda: self.client.xreadgroup(
                self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms
            )
        )
        entries: list[Entry] = []
        for _stream, items in found or []:
            entries.extend(items)
        return entries

    def pending(self, min_idle_ms: int, count: int) -> list[Pending]:
        """Entries of any consumer of the group, idle at least min_idle_ms, oldest first."""
        found: Any = self._call(
            lambda: self.client.xpending_range(
                self.stream, self.group, "-", "+", count, idle=min_idle_ms
            )
        )
        return [
            Pending(
                item["message_id"],
                _text(item["consumer"]),
                int(item["time_since_delivered"]),
                int(item["times_delivered"]),
            )
            for item in found
        ]

    def claim(self, entry_ids: Sequence[bytes], min_idle_ms: int) -> list[Entry]:
        """Take entries over (another delivery); an entry trimmed meanwhile is acknowledged."""
        if not entry_ids:
            return []
        found: Any = self._call(
            lambda: self.client.xclaim(
                self.stream, self.group, self.consumer, min_idle_ms, list(entry_ids)
            )
        )
        entries = [entry for entry in found if entry[1] is not None]
        gone = [entry[0] for entry in found if entry[1] is None]
        self.ack(gone)
        return entries

    def ack(self, ids: Sequence[bytes]) -> None:
        if ids:
            self._call(lambda: self.client.xack(self.stream, self.group, *ids))

    def entry(self, entry_id: bytes) -> dict[bytes, bytes] | None:
        found: Any = self.client.xrange(self.stream, entry_id, entry_id, count=1)
        return found[0][1] if found else None


def check_block_ms(block_ms: int | None) -> None:
    """ValueError unless block_ms is None (no wait) or from 1 to MAX_BLOCK_MS."""
    if block_ms is not None and not 0 < block_ms <= MAX_BLOCK_MS:
        raise ValueError(f"block_ms must be from 1 to {MAX_BLOCK_MS}, got {block_ms}")


def acknowledged_up_to(client: RedisClient, stream: str, groups: Sequence[str]) -> bytes | None:
    """The id below which every entry has been acknowledged by every group; None when a
    group is missing (nothing may be trimmed then)."""
    if not groups:
        return None
    try:
        infos: Any = client.xinfo_groups(stream)
    except redis.exceptions.ResponseError:
        return None  # no such stream
    by_name = {_text(info["name"]): info for info in infos}
    bounds = []
    for group in groups:
        info = by_name.get(group)
        if info is None:
            return None
        first_pending = None
        if info["pending"]:
            summary: Any = client.xpending(stream, group)
            first_pending = summary["min"]  # None when acknowledged meanwhile
        if first_pending is not None:
            bounds.append(_entry_id(first_pending))
        else:
            bounds.append(_next_id(_entry_id(info["last-delivered-id"])))
    return min(bounds, key=_id_key)


def trim_acknowledged(client: RedisClient, stream: str, groups: Sequence[str]) -> bytes | None:
    """Remove the entries every group has acknowledged; never one a group has yet to read."""
    upto = acknowledged_up_to(client, stream, groups)
    if upto is not None:
        trim_to(client, stream, upto)
    return upto


def trim_to(client: RedisClient, stream: str, upto: bytes) -> None:
    """Remove the entries before `upto` (an id from acknowledged_up_to)."""
    if upto != b"0-1":
        client.xtrim(stream, minid=upto, approximate=False)


@dataclass(frozen=True, slots=True)
class Retention:
    """How long an entry of an expiring stream waits for its readers (STREAM_RETENTION_DAYS)."""

    max_age_ms: int = DEFAULT_RETENTION_DAYS * DAY_MS

    def bound(self, now_ms: int) -> bytes:
        """The id before which entries are older than the retention."""
        return f"{max(now_ms - self.max_age_ms, 0)}-0".encode()

    @classmethod
    def from_env(cls, env: Env) -> Retention:
        days = env.integer(
            "STREAM_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, minimum=1, maximum=MAX_RETENTION_DAYS
        )
        return cls(days * DAY_MS)


def trim_expired(client: RedisClient, stream: str, upto: bytes | None, bound: bytes) -> bytes:
    """Remove the entries before `bound` (Retention.bound) that are not acknowledged by every
    group, i.e. from `upto` (acknowledged_up_to, trimmed already; None: a group is missing).
    Their number is recorded (billing.stream.expired) and logged. The id trimmed up to."""
    if upto is not None and _id_key(upto) >= _id_key(bound):
        return upto
    removed: Any = client.xtrim(stream, minid=bound, approximate=False)
    if removed:
        metrics.instruments().stream_expired.add(int(removed), {"stream": stream})
        log.error(
            "stream entries trimmed unread: older than the retention",
            extra={"stream": stream, "entries": int(removed), "before": bound.decode()},
        )
    return bound


def _id_key(entry_id: bytes) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition(b"-")
    return int(milliseconds), int(sequence or 0)


def _next_id(entry_id: bytes) -> bytes:
    milliseconds, sequence = _id_key(entry_id)
    return f"{milliseconds}-{sequence + 1}".encode()


def _entry_id(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
