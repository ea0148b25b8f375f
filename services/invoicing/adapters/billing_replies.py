"""Billing's answers kept by idempotency key, stored as the call's protobuf response (so a
replay answers byte for byte what the first call did)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.common import idempotency
from services.common.errors import Conflict
from services.invoicing.adapters import billing_messages as messages
from services.invoicing.adapters import invoice_messages, tables

AnswerT = TypeVar("AnswerT")


@dataclass(frozen=True)
class Codec:
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


CODECS = {
    "CancelSubscription": Codec(
        messages.encode_cancelled_subscription, messages.decode_cancelled_subscription
    ),
    "CreatePartnerDaysInvoice": Codec(
        invoice_messages.encode_partner_days, invoice_messages.decode_partner_days
    ),
    "CreatePlan": Codec(messages.encode_created_plan, messages.decode_created_plan),
    "CreateSubscription": Codec(
        messages.encode_created_subscription, messages.decode_created_subscription
    ),
    "SetTaxConfiguration": Codec(
        messages.encode_tax_configuration, messages.decode_tax_configuration
    ),
    "IssueCreditNote": Codec(
        invoice_messages.encode_credit_note, invoice_messages.decode_credit_note
    ),
    "SetPartnerContract": Codec(messages.encode_set_contract, messages.decode_set_contract),
    "UpdateOrganization": Codec(
        messages.encode_updated_organization, messages.decode_updated_organization
    ),
}


class SqlReplies:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def once(
        self, scope: str, key: str, request_sha256: str, action: Callable[[], AnswerT]
    ) -> AnswerT:
        codec = CODECS[scope]
        idempotency.check_key(key)
        table = tables.idempotency_keys
        row = self._connection.execute(
            sa.select(table.c.request_sha256, table.c.response).where(
                table.c.scope == scope, table.c.idempotency_key == key
            )
        ).first()
        if row is not None:
            if row.request_sha256 != request_sha256:
                raise Conflict(f"idempotency key {key!r} was used for a different request")
            return cast(AnswerT, codec.decode(row.response))
        answer = action()
        try:
            with self._connection.begin_nested():
                self._connection.execute(
                    table.insert().values(
                        scope=scope,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        response=codec.encode(answer),
                    )
                )
        except IntegrityError:
            raise Conflict(f"idempotency key {key!r} is being used concurrently") from None
        return answer
