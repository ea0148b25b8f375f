"""A use case answered once per idempotency key: a retry gets the first answer, kept in the
same transaction as the answer's writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.common.idempotency import check_key
from services.invoicing.service.ports.payments import Replies

AnswerT = TypeVar("AnswerT")


def once(
    replies: Replies,
    scope: str,
    key: str,
    request_sha256: str,
    kind: type[AnswerT],
    action: Callable[[], AnswerT],
) -> AnswerT:
    check_key(key)
    earlier = replies.find(scope, key, request_sha256, kind)
    if earlier is not None:
        return earlier
    answer = action()
    replies.add(scope, key, request_sha256, answer)
    return answer
