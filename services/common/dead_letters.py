"""Entries set aside after their retries ran out: list them, and put them back to be read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.common import event_streams
from services.common.redis_client import RedisClient

META_PREFIX = b"dead."
MAX_LISTED = 1_000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    dead_stream: str
    dead_id: str
    stream: str  # where it came from, and goes back to on replay
    group: str
    entry_id: str
    attempts: int
    error: str
    fields: dict[bytes, bytes]


def dead_streams(client: RedisClient) -> list[str]:
    names: Any = client.smembers(event_streams.DEAD_LETTER_INDEX)
    return sorted(_text(name) for name in names)


def listed(client: RedisClient, stream: str = "", limit: int = MAX_LISTED) -> list[DeadLetter]:
    """Dead letters of one stream (its name or its dead-letter stream's), or of all."""
    wanted = [_dead_name(stream)] if stream else dead_streams(client)
    found: list[DeadLetter] = []
    for dead in wanted:
        entries: Any = client.xrange(dead, count=max(limit - len(found), 0))
        found += [_letter(dead, entry_id, fields) for entry_id, fields in entries]
        if len(found) >= limit:
            break
    return found


def replay(client: RedisClient, letter: DeadLetter) -> str:
    """Add the entry to its stream again (a new id; consumers are idempotent by event id),
    then remove it from the dead-letter stream. Returns the new entry id."""
    fields: dict[Any, Any] = dict(letter.fields)
    new_id: Any = client.xadd(letter.stream, fields)
    client.xdel(letter.dead_stream, letter.dead_id)
    return _text(new_id)


def _dead_name(stream: str) -> str:
    suffix = event_streams.DEAD_LETTER_SUFFIX
    return stream if stream.endswith(suffix) else event_streams.dead_letter_stream(stream)


def _letter(dead: str, dead_id: bytes, fields: dict[bytes, bytes]) -> DeadLetter:
    meta = {
        key[len(META_PREFIX) :]: value
        for key, value in fields.items()
        if key.startswith(META_PREFIX)
    }
    original = {key: value for key, value in fields.items() if not key.startswith(META_PREFIX)}
    return DeadLetter(
        dead_stream=dead,
        dead_id=_text(dead_id),
        stream=_text(meta.get(b"stream", dead[: -len(event_streams.DEAD_LETTER_SUFFIX)].encode())),
        group=_text(meta.get(b"group", b"")),
        entry_id=_text(meta.get(b"id", b"")),
        attempts=int(meta.get(b"attempts", b"0") or 0),
        error=_text(meta.get(b"error", b"")),
        fields=original,
    )


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
