"""Idempotency records: a retry with the same key returns the first answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar

import sqlalchemy as sa
from google.protobuf.message import Message
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, InvalidArgument

ResponseT = TypeVar("ResponseT", bound=Message)
Answer = TypeVar("Answer")
MAX_KEY_LENGTH = 200


def idempotency_table(metadata: sa.MetaData, prefix: str) -> sa.Table:
    return sa.Table(
        f"{prefix}_idempotency_keys",
        metadata,
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("idempotency_key", sa.String(MAX_KEY_LENGTH), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def fingerprint(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def check_key(key: str, field: str = "idempotency_key") -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(field, f"at most {MAX_KEY_LENGTH} characters")


def once(
    connection: Connection,
    table: sa.Table,
    scope: str,
    key: str,
    request: Message,
    response_type: type[ResponseT],
    action: Callable[[], ResponseT],
) -> ResponseT:
    """Run `action` once per (scope, key) inside the caller's transaction.

    A replay with the same request returns the stored response; the same key with a
    different request is a Conflict. The record and the action's writes commit together.
    """
    check_key(key)
    digest = fingerprint(request)
    kept = kept_response(connection, table, scope, key, digest)
    if kept is not None:
        return response_type.FromString(kept)
    response = action()
    keep_response(
        connection, table, scope, key, digest, response.SerializeToString(deterministic=True)
    )
    return response


def kept_response(
    connection: Connection, table: sa.Table, scope: str, key: str, request_sha256: str
) -> bytes | None:
    """The response kept under (scope, key); None when there is none yet, a Conflict when the
    key came with a different request."""
    row = connection.execute(
        sa.select(table.c.request_sha256, table.c.response).where(
            table.c.scope == scope, table.c.idempotency_key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_sha256 != request_sha256:
        raise Conflict(f"idempotency key {key!r} was used for a different request")
    return bytes(row.response)


def keep_response(
    connection: Connection,
    table: sa.Table,
    scope: str,
    key: str,
    request_sha256: str,
    response: bytes,
) -> None:
    """Keep the first response with the caller's writes (a Conflict when another transaction
    is keeping one under the same key)."""
    try:
        with connection.begin_nested():
            connection.execute(
                table.insert().values(
                    scope=scope,
                    idempotency_key=key,
                    request_sha256=request_sha256,
                    response=response,
                )
            )
    except IntegrityError:
        raise Conflict(f"idempotency key {key!r} is being used concurrently") from None


class SqlReplies(Generic[Answer]):
    """A service's kept answers of one kind in its idempotency table, as the bytes `encode`
    makes of them; a retry reads back the same bytes."""

    def __init__(
        self,
        connection: Connection,
        table: sa.Table,
        encode: Callable[[Answer], bytes],
        decode: Callable[[bytes], Answer],
    ) -> None:
        self._connection = connection
        self._table = table
        self._encode = encode
        self._decode = decode

    def find(self, scope: str, key: str, request_sha256: str) -> Answer | None:
        kept = kept_response(self._connection, self._table, scope, key, request_sha256)
        return None if kept is None else self._decode(kept)

    def keep(self, scope: str, key: str, request_sha256: str, answer: Answer) -> None:
        keep_response(
            self._connection, self._table, scope, key, request_sha256, self._encode(answer)
        )
