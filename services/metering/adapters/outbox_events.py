"""Metering's published events as outbox rows (stream, event id, type, serialized event)."""

from __future__ import annotations

from typing import Any

from billing.common.v1 import money_pb2, outbox_pb2
from billing.metering.v1 import events_pb2
from google.protobuf import timestamp_pb2

from services.common import event_streams
from services.common.categories import CATEGORY_ENUMS, MODEL_ENUMS
from services.metering.service.published import ChargeSettled, Published, WindowChanged

WINDOWS_STREAM = event_streams.METERING_WINDOWS.name
CHARGES_STREAM = event_streams.METERING_CHARGES.name


def outbox_event(published: Published) -> outbox_pb2.OutboxEvent:
    if isinstance(published, WindowChanged):
        return _row(WINDOWS_STREAM, published.event_id, _window_changed(published))
    return _row(CHARGES_STREAM, published.event_id, _charge_settled(published))


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


def _window_changed(changed: WindowChanged) -> events_pb2.WindowChanged:
    window = changed.window
    return events_pb2.WindowChanged(
        event_id=changed.event_id,
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


def _charge_settled(settled: ChargeSettled) -> events_pb2.ChargeSettled:
    currency = settled.currency
    message = events_pb2.ChargeSettled(
        event_id=settled.event_id,
        account_id=settled.account_id,
        channel_id=settled.channel_id,
        message_id=settled.message_id,
        reservation_id=settled.reservation_id,
        action=settled.action,
        amount=money_pb2.Money(currency_code=currency, amount_micros=settled.amount_micros),
        market=settled.market,
        category=CATEGORY_ENUMS.get(settled.category, 0),  # type: ignore[arg-type]
        pricing_model=MODEL_ENUMS.get(settled.pricing_model, 0),  # type: ignore[arg-type]
        occur_time=_timestamp(settled.occur_us),
        tier=settled.tier,
        reason=settled.reason,
    )
    if settled.meta_cost_micros is not None:
        message.meta_cost.CopyFrom(
            money_pb2.Money(currency_code=currency, amount_micros=settled.meta_cost_micros)
        )
    return message
