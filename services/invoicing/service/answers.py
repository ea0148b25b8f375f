"""Idempotent requests: a retry with the same key returns the first answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.common import idempotency
from services.invoicing.service.ports.replies import Replies

Answer = TypeVar("Answer")


def once(
    replies: Replies[Answer],
    scope: str,
    key: str,
    request_sha256: str,
    action: Callable[[], Answer],
) -> Answer:
    """Run `action` once per (scope, key) inside the caller's unit of work: a replay of the
    same request gets the kept answer, the same key with another request a Conflict, a key
    too long an InvalidArgument. The answer is kept with the action's writes, in the same
    transaction."""
    idempotency.check_key(key)
    kept = replies.find(scope, key, request_sha256)
    if kept is not None:
        return kept
    answer = action()
    replies.keep(scope, key, request_sha256, answer)
    return answer
