"""The payments' answers kept by idempotency key, stored as their protobuf responses (as
they always were), inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict
from services.invoicing.adapters import tables
from services.invoicing.entrypoints import payment_responses as responses

AnswerT = TypeVar("AnswerT")
Encode = Callable[[Any], bytes]
Decode = Callable[[bytes], Any]

CODECS: dict[str, tuple[Encode, Decode]] = {
    "AddPaymentMethod": (
        lambda card: responses.card_added(card).SerializeToString(deterministic=True),
        lambda stored: responses.card_on_file(
            pb.AddPaymentMethodResponse.FromString(stored).payment_method
        ),
    ),
    "RemovePaymentMethod": (
        lambda card: responses.card_removed(card).SerializeToString(deterministic=True),
        lambda stored: responses.card_on_file(
            pb.RemovePaymentMethodResponse.FromString(stored).payment_method
        ),
    ),
}


class SqlReplies:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find(
        self, scope: str, key: str, request_sha256: str, kind: type[AnswerT]
    ) -> AnswerT | None:
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
        answer = CODECS[scope][1](row.response)
        if not isinstance(answer, kind):
            raise TypeError(f"{scope} answers {type(answer).__name__}, not {kind.__name__}")
        return answer

    def add(self, scope: str, key: str, request_sha256: str, answer: object) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    tables.idempotency_keys.insert().values(
                        scope=scope,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        response=CODECS[scope][0](answer),
                    )
                )
        except IntegrityError:
            raise Conflict(f"idempotency key {key!r} is being used concurrently") from None
