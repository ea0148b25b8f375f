"""RecordEvents' answers kept by idempotency key, inside the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict
from services.metering.adapters import recorded, tables
from services.metering.service.commands import RecordedEvents

SCOPE = "RecordEvents"


class SqlRecordedReplies:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(self, key: str, request_sha256: str) -> RecordedEvents | None:
        """The first answer for `key`; a Conflict if the key came with another request."""
        t = tables.idempotency_keys
        row = self._connection.execute(
            sa.select(t.c.request_sha256, t.c.response).where(
                t.c.scope == SCOPE, t.c.idempotency_key == key
            )
        ).first()
        if row is None:
            return None
        if row.request_sha256 != request_sha256:
            raise Conflict(f"idempotency key {key!r} was used for a different request")
        return recorded.decode(row.response)

    def add(self, key: str, request_sha256: str, answer: RecordedEvents) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    tables.idempotency_keys.insert().values(
                        scope=SCOPE,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        response=recorded.encode(answer),
                    )
                )
        except IntegrityError:
            raise Conflict(f"idempotency key {key!r} is being used concurrently") from None
