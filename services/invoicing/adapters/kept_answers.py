"""Answers kept by idempotency key as the responses their calls gave: one rule for every kind
of answer, so that a retry reads back the very bytes first answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message
from sqlalchemy.engine import Connection

from services.common.idempotency import SqlReplies
from services.invoicing.adapters import tables

Answer = TypeVar("Answer")
Response = TypeVar("Response", bound=Message)


@dataclass(frozen=True)
class KeptAs(Generic[Answer, Response]):
    """How one kind of answer is kept: its call's response, made and read back."""

    response: Callable[[Answer], Response]
    parse: Callable[[bytes], Response]
    answer: Callable[[Response], Answer]

    def encode(self, answer: Answer) -> bytes:
        return self.response(answer).SerializeToString(deterministic=True)

    def decode(self, stored: bytes) -> Answer:
        return self.answer(self.parse(stored))


def sql_replies(connection: Connection, kept: KeptAs[Answer, Response]) -> SqlReplies[Answer]:
    """The answers of that kind in invoicing's idempotency table."""
    return SqlReplies(connection, tables.idempotency_keys, kept.encode, kept.decode)
