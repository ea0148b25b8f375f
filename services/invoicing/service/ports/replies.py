"""Answers kept by idempotency key, inside the caller's transaction: a retry with the same key
and request gets the first answer back; the same key with another request is a Conflict."""

from __future__ import annotations

from typing import Protocol, TypeVar

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
