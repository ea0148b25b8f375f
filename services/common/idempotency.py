"""Idempotency records: a retry with the same key returns the first answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from google.protobuf.message import Message
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, InvalidArgument

ResponseT = TypeVar("ResponseT", bound=Message)
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
    row = connection.execute(
        sa.select(table.c.request_sha256, table.c.response).where(
            table.c.scope == scope, table.c.idempotency_key == key
        )
    ).first()
    if row is not None:
        if row.request_sha256 != digest:
            raise Conflict(f"idempotency key {key!r} was used for a different request")
        return response_type.FromString(row.response)
    response = action()
    try:
        with connection.begin_nested():
            connection.execute(
                table.insert().values(
                    scope=scope,
                    idempotency_key=key,
                    request_sha256=digest,
                    response=response.SerializeToString(deterministic=True),
                )
            )
    except IntegrityError:
        raise Conflict(f"idempotency key {key!r} is being used concurrently") from None
    return response
