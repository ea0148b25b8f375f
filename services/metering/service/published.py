"""The events metering publishes, as outbox events (stream, event id, type, serialized event)."""

from __future__ import annotations

from typing import Any

from billing.common.v1 import money_pb2, outbox_pb2
from billing.metering.v1 import events_pb2
from google.protobuf import timestamp_pb2

from pricing import PriceDecision
from services.common import event_streams
from services.common.categories import CATEGORY_ENUMS, MODEL_ENUMS
from services.metering.domain.events import MessageEvent
from services.metering.domain.messages import COMMIT, RELEASE, MessageState
from services.metering.domain.windows import Window

WINDOWS_STREAM = event_streams.METERING_WINDOWS.name
CHARGES_STREAM = event_streams.METERING_CHARGES.name


def _timestamp(at_us: int) -> timestamp_pb2.Timestamp:
    seconds, micros = divmod(at_us, 1_000_000)
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=micros * 1_000)


def _row(stream: str, event_id: str, message: Any) -> outbox_pb2.OutboxEvent:
    return outbox_pb2.OutboxEvent(
        stream=stream,
        event_id=event_id,
        type=message.DESCRIPTOR.full_name,
        event=message.SerializeToString(deterministic=True),
    )


def window_changed(window: Window) -> outbox_pb2.OutboxEvent:
    suffix = f":{window.category}" if window.category else ""
    event_id = f"{window.account_id}:{window.message_id}:{window.kind}{suffix}"
    message = events_pb2.WindowChanged(
        event_id=event_id,
        account_id=window.account_id,
        channel_id=window.channel_id,
        contact=window.contact,
        kind=window.kind,
        category=window.category,
        open_time=_timestamp(window.open_us),
        expire_time=_timestamp(window.expire_us),
        message_id=window.message_id,
        billable=window.billable,
    )
    return _row(WINDOWS_STREAM, event_id, message)


def charge_committed(
    event: MessageEvent, state: MessageState, decision: PriceDecision, billable: bool
) -> outbox_pb2.OutboxEvent:
    event_id = f"{state.account_id}:{state.message_id}:settle"
    currency = decision.currency
    message = events_pb2.ChargeSettled(
        event_id=event_id,
        account_id=state.account_id,
        channel_id=state.channel_id,
        message_id=state.message_id,
        reservation_id=state.reservation_id,
        action=COMMIT,
        amount=money_pb2.Money(currency_code=currency, amount_micros=decision.price_micros),
        meta_cost=money_pb2.Money(currency_code=currency, amount_micros=decision.meta_cost_micros),
        market=decision.market,
        category=CATEGORY_ENUMS.get(decision.category, 0),  # type: ignore[arg-type]
        pricing_model=MODEL_ENUMS.get(decision.pricing_model, 0),  # type: ignore[arg-type]
        occur_time=_timestamp(event.occur_us),
        tier=decision.tier or 0,
        reason=decision.reason if billable or not decision.billable else "Meta: not billable",
    )
    return _row(CHARGES_STREAM, event_id, message)


def charge_released(
    event: MessageEvent, state: MessageState, currency: str
) -> outbox_pb2.OutboxEvent:
    event_id = f"{state.account_id}:{state.message_id}:settle"
    message = events_pb2.ChargeSettled(
        event_id=event_id,
        account_id=state.account_id,
        channel_id=state.channel_id,
        message_id=state.message_id,
        reservation_id=state.reservation_id,
        action=RELEASE,
        amount=money_pb2.Money(currency_code=currency, amount_micros=0),
        category=CATEGORY_ENUMS.get(state.category, 0),  # type: ignore[arg-type]
        occur_time=_timestamp(event.occur_us),
        reason=f"failed{': ' + event.error_code if event.error_code else ''}",
    )
    return _row(CHARGES_STREAM, event_id, message)
