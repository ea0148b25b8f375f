"""The answers to the wallet's recharge requests as events on billing.invoicing.events,
written to the outbox in the caller's transaction."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import recharges_pb2 as pb
from sqlalchemy.engine import Connection

from services.common import event_streams, outbox
from services.invoicing.adapters import tables
from services.invoicing.service.ports.payments import RechargeAnswer

STREAM = event_streams.INVOICING_EVENTS.name
Message = pb.RechargeSucceeded | pb.RechargeDeclined | pb.RechargeActionRequired


class SqlRechargeAnswers:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def publish(self, answer: RechargeAnswer) -> None:
        message = event_of(answer)
        outbox.add(
            self._connection, tables.outbox, [outbox.event(STREAM, answer.event_id, message)]
        )


def event_of(answer: RechargeAnswer) -> Message:
    event: Message
    if answer.outcome == "succeeded":
        currency = answer.currency_code
        event = pb.RechargeSucceeded(
            event_id=answer.event_id,
            account_id=answer.account_id,
            idempotency_key=answer.idempotency_key,
            funding_id=answer.funding_id,
            top_up_id=answer.top_up_id,
            payment_reference=answer.payment_reference,
            amount=money_pb2.Money(currency_code=currency, amount_micros=answer.amount_micros),
            fee=money_pb2.Money(currency_code=currency, amount_micros=answer.fee_micros),
        )
    elif answer.outcome == "declined":
        event = pb.RechargeDeclined(
            event_id=answer.event_id,
            account_id=answer.account_id,
            idempotency_key=answer.idempotency_key,
            funding_id=answer.funding_id,
            reason=answer.reason,
            final=answer.final,
        )
    else:
        event = pb.RechargeActionRequired(
            event_id=answer.event_id,
            account_id=answer.account_id,
            idempotency_key=answer.idempotency_key,
            funding_id=answer.funding_id,
            reason=answer.reason,
        )
    event.occur_time.FromMilliseconds(answer.occur_ms)
    return event
