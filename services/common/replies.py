"""Answers kept by idempotency key, inside the caller's transaction: a retry with the same key
and request gets the first answer back; the same key with another request is a Conflict. The
port and the rule every service's use cases share; `idempotency.SqlReplies` keeps them in SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from services.common import idempotency

Answer = TypeVar("Answer")


class Replies(Protocol[Answer]):
    """The first answer to one kind of idempotent request, kept by (scope, key)."""

    def find(self, scope: str, key: str, request_sha256: str) -> Answer | None:
        """None the first time; a Conflict when the key came with another request."""
        ...

    def keep(self, scope: str, key: str, request_sha256: str, answer: Answer) -> None:
        """Kept with the transaction's writes; a Conflict when the key is being used
        concurrently."""
        ...


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
