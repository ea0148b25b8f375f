"""Answers kept by idempotency key, inside the caller's transaction: a retry with the same key
and request gets the first answer back; the same key with another request is a Conflict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

AnswerT = TypeVar("AnswerT")


class Replies(Protocol):
    def find(self, scope: str, key: str, request_sha256: str) -> object | None:
        """The first answer under (scope, key); None when there is none yet. A key too long is
        an InvalidArgument; a key that came with another request, a Conflict."""
        ...

    def add(self, scope: str, key: str, request_sha256: str, answer: object) -> None:
        """Keep `answer` with the transaction's writes (a Conflict if another writer is
        keeping one under the same key)."""
        ...


def once(
    replies: Replies,
    scope: str,
    key: str,
    request_sha256: str,
    answer_type: type[AnswerT],
    action: Callable[[], AnswerT],
) -> AnswerT:
    """Run `action` once per (scope, key); a replay answers what the first run did."""
    kept = replies.find(scope, key, request_sha256)
    if kept is not None:
        if not isinstance(kept, answer_type):
            raise TypeError(f"kept answer of {scope} is not a {answer_type.__name__}")
        return kept
    answer = action()
    replies.add(scope, key, request_sha256, answer)
    return answer
