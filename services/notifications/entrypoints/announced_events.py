"""The producers' streams, decoded at the edge: each entry's protobuf event becomes the plain
values its notice is worded from, and the batch's notices are handed to the intake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from billing.common.v1 import money_pb2, operations_pb2
from billing.gateway.v1 import events_pb2 as gateway_events
from billing.invoicing.v1 import events_pb2 as invoicing_events
from billing.wallet.v1 import notices_pb2
from billing.wallet.v1 import wallet_service_pb2 as wallet
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from services.common.streams import Entry
from services.notifications.domain import notices
from services.notifications.domain.events import Notice
from services.notifications.domain.notices import Money, Occurred
from services.notifications.service.intake import Intake


def _money(value: money_pb2.Money) -> Money:
    return Money(value.amount_micros, value.currency_code)


def _ms(message: Message, name: str = "occur_time") -> int:
    stamp = getattr(message, name)
    return int(stamp.seconds) * 1000 + int(stamp.nanos) // 1_000_000


def _occurred(message: Any, event_id: str | None = None, account_id: str | None = None) -> Occurred:
    return Occurred(
        message.event_id if event_id is None else event_id,
        message.account_id if account_id is None else account_id,
        _ms(message),
        MessageToDict(message, preserving_proto_field_name=True),
    )


def _balance(payload: bytes) -> Notice | None:
    alert = wallet.BalanceAlert.FromString(payload)
    return notices.balance(
        _occurred(alert),
        alert.kind,
        alert.channel_id,
        _money(alert.available),
        _money(alert.recharge_amount),
        alert.problem,
    )


def _campaign(payload: bytes) -> Notice:
    event = notices_pb2.CampaignRefused.FromString(payload)
    return notices.campaign_refused(
        _occurred(event),
        event.channel_id,
        event.refused_count,
        event.reason,
        _money(event.needed),
        _money(event.required),
        _money(event.available),
    )


def _flagged(payload: bytes) -> Notice:
    event = notices_pb2.SendFlagged.FromString(payload)
    return notices.send_flagged(_occurred(event), event.channel_id, _money(event.available))


def _credit(payload: bytes) -> Notice | None:
    event = notices_pb2.CreditNotice.FromString(payload)
    return notices.credit(
        _occurred(event),
        event.kind,
        event.credit_id,
        event.expire_time.ToDatetime().date(),
        _money(event.granted),
        _money(event.remaining),
    )


def _days(payload: bytes) -> Notice:
    event = notices_pb2.DaysRunningOut.FromString(payload)
    return notices.days_running_out(
        _occurred(event), event.channel_id, event.days_left, event.paid_through
    )


def _invoice(payload: bytes) -> Notice | None:
    event = invoicing_events.InvoiceEvent.FromString(payload)
    return notices.invoice(
        _occurred(event),
        event.type,
        event.invoice_id,
        event.number,
        _money(event.total),
        _money(event.amount_due),
        event.payment_failure_reason,
    )


def _cancelled(payload: bytes) -> Notice:
    event = invoicing_events.SubscriptionCancelled.FromString(payload)
    return notices.subscription_cancelled(_occurred(event), event.subscription_id, event.end_date)


def _top_up(payload: bytes) -> Notice | None:
    event = invoicing_events.TopUpEvent.FromString(payload)
    return notices.top_up(
        _occurred(event), event.type, event.funding_id, _money(event.amount), event.failure_reason
    )


def _operations(payload: bytes) -> Notice:
    alert = operations_pb2.OperationsAlert.FromString(payload)
    return notices.operations_alert(
        _occurred(alert, alert.alert_id, ""),
        alert.service,
        alert.kind,
        alert.summary,
        alert.stream,
        alert.group,
        alert.entry_id,
        alert.error,
    )


def _sign_in_locked(payload: bytes) -> Notice:
    lock = gateway_events.SignInLocked.FromString(payload)
    return notices.sign_in_locked(
        lock.event_id,
        _ms(lock),
        lock.user_id,
        lock.email,
        lock.failures,
        lock.locked_until.ToDatetime(dt.UTC),
    )


_DECODERS: dict[str, Callable[[bytes], Notice | None]] = {
    wallet.BalanceAlert.DESCRIPTOR.full_name: _balance,
    notices_pb2.CampaignRefused.DESCRIPTOR.full_name: _campaign,
    notices_pb2.SendFlagged.DESCRIPTOR.full_name: _flagged,
    notices_pb2.CreditNotice.DESCRIPTOR.full_name: _credit,
    notices_pb2.DaysRunningOut.DESCRIPTOR.full_name: _days,
    invoicing_events.InvoiceEvent.DESCRIPTOR.full_name: _invoice,
    invoicing_events.SubscriptionCancelled.DESCRIPTOR.full_name: _cancelled,
    invoicing_events.TopUpEvent.DESCRIPTOR.full_name: _top_up,
    operations_pb2.OperationsAlert.DESCRIPTOR.full_name: _operations,
    gateway_events.SignInLocked.DESCRIPTOR.full_name: _sign_in_locked,
}


def notice_of(type_name: str, payload: bytes) -> Notice | None:
    """The notice an entry of a producer's stream stands for; None for a type this service
    does not announce (a newer producer's event: read and skipped)."""
    decode = _DECODERS.get(type_name)
    if decode is None:
        return None
    return decode(payload)


def announced(entries: list[Entry]) -> list[Notice]:
    """The notices among a batch of stream entries; ValueError for an entry without an event."""
    found = []
    for _entry_id, fields in entries:
        payload = fields.get(b"event")
        if payload is None:
            raise ValueError("stream entry without an event")
        notice = notice_of(fields.get(b"type", b"").decode(), payload)
        if notice is not None:
            found.append(notice)
    return found


def announced_handler(intake: Intake) -> Callable[[list[Entry]], None]:
    """A consumer's batch handler: the entries this service announces are recorded."""

    def handle(entries: list[Entry]) -> None:
        intake.record(announced(entries))

    return handle
