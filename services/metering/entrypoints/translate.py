"""Protobuf requests to domain events; each bad event becomes a rejection naming its field."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from billing.metering.v1 import events_pb2

from pricing import InvalidNumber
from pricing.markets import e164_digits
from services.common import validation
from services.common.categories import CATEGORY_NAMES, MODEL_NAMES, TYPE_NAMES
from services.common.errors import InvalidArgument
from services.metering.domain import events as ev

STATUS_NAMES = {
    events_pb2.MESSAGE_STATUS_SENT: ev.SENT,
    events_pb2.MESSAGE_STATUS_DELIVERED: ev.DELIVERED,
    events_pb2.MESSAGE_STATUS_READ: ev.READ,
    events_pb2.MESSAGE_STATUS_FAILED: ev.FAILED,
}
ORIGIN_NAMES = {
    events_pb2.CONVERSATION_ORIGIN_MARKETING: "marketing",
    events_pb2.CONVERSATION_ORIGIN_UTILITY: "utility",
    events_pb2.CONVERSATION_ORIGIN_AUTHENTICATION: "authentication",
    events_pb2.CONVERSATION_ORIGIN_SERVICE: "service",
    events_pb2.CONVERSATION_ORIGIN_REFERRAL_CONVERSION: "referral_conversion",
}
MAX_PRICING_OBJECTS = 256  # 2 x 3 x 4 x 6 combinations of Meta's enums, and unknown values
MIN_OCCUR_S = 1_262_304_000  # 2010-01-01: earlier times are a client bug
MAX_OCCUR_S = 4_102_444_800  # 2100-01-01


def events_from_request(
    request_events: list[events_pb2.MessageEvent],
) -> tuple[list[ev.MessageEvent], list[ev.Rejection]]:
    if len(request_events) > ev.MAX_BATCH_EVENTS:
        raise InvalidArgument("events", f"at most {ev.MAX_BATCH_EVENTS:,} events a call")
    valid: list[ev.MessageEvent] = []
    rejected: list[ev.Rejection] = []
    for index, message in enumerate(request_events):
        try:
            valid.append(event_from_message(index, message))
        except InvalidArgument as error:
            rejected.append(ev.Rejection(index, error.field, error.message))
    return valid, rejected


def event_from_message(index: int, message: events_pb2.MessageEvent) -> ev.MessageEvent:
    where = f"events[{index}]"  # field names are built only for an error
    kind = message.WhichOneof("kind")
    common: dict[str, Any] = {
        "index": index,
        "account_id": _id(message.account_id, where, "account_id"),
        "channel_id": _id(message.channel_id, where, "channel_id"),
        "contact": _contact(message.contact, where),
        "occur_us": _occur_us(message, where),
        "chat_id": _text(message.chat_id, where, "chat_id", ev.MAX_TEXT_LENGTH),
        "session_id": _session_id(message.session_id, where),
        "payload": message.SerializeToString(deterministic=True),
    }
    if kind == "inbound":
        message_id = _message_id(message.inbound.message_id, where, "inbound.message_id")
        event_id = _event_id(message.event_id, message_id, ev.INBOUND, where)
        referral = message.inbound.HasField("referral")
        return ev.MessageEvent(
            event_id=event_id, message_id=message_id, status=ev.INBOUND, referral=referral, **common
        )
    if kind == "status":
        return _outbound(message.status, message.event_id, where, common)
    raise InvalidArgument(f"{where}.kind", "set status (an outgoing message) or inbound")


def _outbound(
    status: events_pb2.OutboundStatus, event_id: str, where: str, common: dict[str, Any]
) -> ev.MessageEvent:
    message_id = _message_id(status.message_id, where, "status.message_id")
    name = STATUS_NAMES.get(status.status)
    if name is None:
        raise InvalidArgument(f"{where}.status.status", "must be sent, delivered, read or failed")
    category = CATEGORY_NAMES.get(status.category, "")
    if status.is_template and category in ("", "service"):
        raise InvalidArgument(f"{where}.status.category", "a template needs a template category")
    if not status.is_template and category not in ("", "service"):
        raise InvalidArgument(f"{where}.status.category", "a non-template message is service")
    if not status.is_template:
        category = "service"
    pricing = None
    if status.HasField("pricing"):
        given = status.pricing
        pricing = _meta_pricing(given.billable, given.pricing_model, given.type, given.category)
    conversation = None
    if status.HasField("conversation"):
        conversation_id = _message_id(status.conversation.id, where, "status.conversation.id")
        expire = status.conversation.expire_time
        conversation = ev.MetaConversation(
            conversation_id=conversation_id,
            expire_us=expire.seconds * 1_000_000 + expire.nanos // 1_000,
            origin=ORIGIN_NAMES.get(status.conversation.origin, ""),
        )
    return ev.MessageEvent(
        event_id=_event_id(event_id, message_id, name, where),
        message_id=message_id,
        status=name,
        is_template=status.is_template,
        template_name=_text(status.template_name, where, "status.template_name", 512),
        category=category,
        pricing=pricing,
        conversation=conversation,
        reservation_id=_text(
            status.reservation_id, where, "status.reservation_id", ev.MAX_TEXT_LENGTH
        ),
        error_code=_text(status.error_code, where, "status.error_code", 64),
        **common,
    )


@lru_cache(maxsize=MAX_PRICING_OBJECTS)
def _meta_pricing(billable: bool, model: int, pricing_type: int, category: int) -> ev.MetaPricing:
    """Meta's pricing object: a few distinct values, each built once."""
    return ev.MetaPricing(
        billable=billable,
        pricing_model=MODEL_NAMES.get(model, ""),  # type: ignore[call-overload]
        pricing_type=TYPE_NAMES.get(pricing_type, ""),  # type: ignore[call-overload]
        category=CATEGORY_NAMES.get(category, ""),  # type: ignore[call-overload]
    )


def _id(value: str, where: str, name: str) -> str:
    if not value or not validation.ID_PATTERN.match(value):
        validation.require_id(value, f"{where}.{name}")
    return value


def _text(value: str, where: str, name: str, max_length: int) -> str:
    if len(value) > max_length:
        validation.text(value, f"{where}.{name}", max_length=max_length)
    return value


def _contact(value: str, where: str) -> str:
    if not value:
        raise InvalidArgument(f"{where}.contact", "is required")
    try:
        return "+" + e164_digits(value)
    except InvalidNumber as error:
        raise InvalidArgument(f"{where}.contact", str(error)) from None


def _occur_us(message: events_pb2.MessageEvent, where: str) -> int:
    if not message.HasField("occur_time"):
        raise InvalidArgument(f"{where}.occur_time", "is required")
    stamp = message.occur_time
    if not MIN_OCCUR_S <= stamp.seconds < MAX_OCCUR_S or not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidArgument(f"{where}.occur_time", "must be between 2010 and 2100")
    return stamp.seconds * 1_000_000 + stamp.nanos // 1_000


def _message_id(value: str, where: str, name: str) -> str:
    if not value:
        raise InvalidArgument(f"{where}.{name}", "is required")
    if len(value) > ev.MAX_MESSAGE_ID_LENGTH or not value.isprintable() or " " in value:
        raise InvalidArgument(
            f"{where}.{name}", f"1 to {ev.MAX_MESSAGE_ID_LENGTH} printable characters"
        )
    return value


def _event_id(value: str, message_id: str, status: str, where: str) -> str:
    if not value:
        return f"{message_id}:{status}"
    return _message_id(value, where, "event_id")


def _session_id(value: str, where: str) -> str:
    if not value:
        return value
    _text(value, where, "session_id", ev.MAX_TEXT_LENGTH)
    if value.count(".") != 2 or not all(value.split(".")):
        raise InvalidArgument(f"{where}.session_id", "expected client.operation.connector")
    return value
