"""The first answer to an idempotent request, kept by (scope, key) in the caller's transaction
as the response message it was given as, so a retry reads back the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict
from services.wallet.adapters import tables

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
        table = tables.idempotency_keys
        row = self._connection.execute(
            sa.select(table.c.request_sha256, table.c.response).where(
                table.c.scope == scope, table.c.idempotency_key == key
            )
        ).first()
        if row is None:
            return None
        if row.request_sha256 != request_sha256:
            raise Conflict(f"idempotency key {key!r} was used for a different request")
        return self._decode(row.response)

    def keep(self, scope: str, key: str, request_sha256: str, answer: Answer) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    tables.idempotency_keys.insert().values(
                        scope=scope,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        response=self._encode(answer),
                    )
                )
        except IntegrityError:
            raise Conflict(f"idempotency key {key!r} is being used concurrently") from None
