"""Answers kept by idempotency key in wallet_idempotency_keys, as their protobuf responses
(the bytes services.common.idempotency keeps), inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict
from services.common.idempotency import check_key
from services.wallet.adapters import tables

Encode = Callable[[str, object], bytes]  # (scope, answer) -> response kept
Decode = Callable[[str, bytes], object]  # (scope, stored response) -> answer


class SqlReplies:
    def __init__(self, connection: Connection, encode: Encode, decode: Decode) -> None:
        self._connection = connection
        self._encode = encode
        self._decode = decode

    def find(self, scope: str, key: str, request_sha256: str) -> object | None:
        check_key(key)
        t = tables.idempotency_keys
        row = self._connection.execute(
            sa.select(t.c.request_sha256, t.c.response).where(
                t.c.scope == scope, t.c.idempotency_key == key
            )
        ).first()
        if row is None:
            return None
        if row.request_sha256 != request_sha256:
            raise Conflict(f"idempotency key {key!r} was used for a different request")
        return self._decode(scope, row.response)

    def add(self, scope: str, key: str, request_sha256: str, answer: object) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    tables.idempotency_keys.insert().values(
                        scope=scope,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        response=self._encode(scope, answer),
                    )
                )
        except IntegrityError:
            raise Conflict(f"idempotency key {key!r} is being used concurrently") from None
