"""Invoicing's event stream, as the wallet reads it (group "wallet"): the answers to recharge
requests become plain outcomes; invoicing's other events (invoices issued, paid...) are not
the wallet's business here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.invoicing.v1 import recharges_pb2 as invoicing_pb
from google.protobuf.message import Message

from services.common.background import decoded_event
from services.common.streams import Entry
from services.wallet.service.commands.recharges import (
    RechargeActionRequired,
    RechargeDeclined,
    RechargeSucceeded,
)
from services.wallet.service.recharge_outcomes import RechargeOutcomes

SUCCEEDED = invoicing_pb.RechargeSucceeded.DESCRIPTOR.full_name
DECLINED = invoicing_pb.RechargeDeclined.DESCRIPTOR.full_name
ACTION_REQUIRED = invoicing_pb.RechargeActionRequired.DESCRIPTOR.full_name


class RechargeAnswers:
    """The consumer's handler: each batch's recharge answers, in order."""

    def __init__(self, outcomes: RechargeOutcomes) -> None:
        self._by_type: dict[bytes, tuple[type[Message], Callable[[Any], None]]] = {
            SUCCEEDED.encode(): (invoicing_pb.RechargeSucceeded, self._succeeded),
            DECLINED.encode(): (invoicing_pb.RechargeDeclined, self._declined),
            ACTION_REQUIRED.encode(): (invoicing_pb.RechargeActionRequired, self._action),
        }
        self._outcomes = outcomes

    def handle(self, entries: list[Entry]) -> None:
        for _entry_id, fields in entries:
            known = self._by_type.get(fields.get(b"type", b""))
            if known is not None:
                message_type, apply = known
                apply(decoded_event(fields, message_type))

    def _succeeded(self, event: invoicing_pb.RechargeSucceeded) -> None:
        self._outcomes.succeeded(
            RechargeSucceeded(
                event.account_id, event.idempotency_key, event.payment_reference, event.top_up_id
            )
        )

    def _declined(self, event: invoicing_pb.RechargeDeclined) -> None:
        self._outcomes.declined(
            RechargeDeclined(event.account_id, event.idempotency_key, event.reason, event.final)
        )

    def _action(self, event: invoicing_pb.RechargeActionRequired) -> None:
        self._outcomes.action_required(
            RechargeActionRequired(event.account_id, event.idempotency_key)
        )
