"""The first answer to an idempotent request, kept in invoicing_idempotency_keys by (scope,
key) in the caller's transaction as the response message it was given as, so a retry reads
back the same bytes (the rule and the statements are services.common.idempotency's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection

from services.common import idempotency
from services.invoicing.adapters import tables

Answer = TypeVar("Answer")


class SqlReplies(Generic[Answer]):
    def __init__(
        self,
        connection: Connection,
        encode: Callable[[Answer], bytes],
        decode: Callable[[bytes], Answer],
    ) -> None:
        self._connection = connection
        self._encode = encode
        self._decode = decode

    def find(self, scope: str, key: str, request_sha256: str) -> Answer | None:
        kept = idempotency.kept_response(
            self._connection, tables.idempotency_keys, scope, key, request_sha256
        )
        return None if kept is None else self._decode(kept)

    def keep(self, scope: str, key: str, request_sha256: str, answer: Answer) -> None:
        idempotency.keep_response(
            self._connection,
            tables.idempotency_keys,
            scope,
            key,
            request_sha256,
            self._encode(answer),
        )
