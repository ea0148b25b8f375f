"""Protobuf requests to domain events; each bad event becomes a rejection naming its field."""

from __future__ import annotations

from typing import Any

from billing.common.v1 import category_pb2
from billing.metering.v1 import events_pb2

from pricing import InvalidNumber
from pricing.markets import e164_digits
from services.common import validation
from services.common.errors import InvalidArgument
from services.metering.domain import events as ev

CATEGORY_NAMES = {
    category_pb2.CATEGORY_MARKETING: "marketing",
    category_pb2.CATEGORY_UTILITY: "utility",
    category_pb2.CATEGORY_AUTHENTICATION: "authentication",
    category_pb2.CATEGORY_AUTHENTICATION_INTERNATIONAL: "authentication-international",
    category_pb2.CATEGORY_SERVICE: "service",
}
CATEGORY_ENUMS = {name: value for value, name in CATEGORY_NAMES.items()}
STATUS_NAMES = {
    events_pb2.MESSAGE_STATUS_SENT: ev.SENT,
    events_pb2.MESSAGE_STATUS_DELIVERED: ev.DELIVERED,
    events_pb2.MESSAGE_STATUS_READ: ev.READ,
    events_pb2.MESSAGE_STATUS_FAILED: ev.FAILED,
}
MODEL_NAMES = {
    category_pb2.PRICING_MODEL_CONVERSATION: "conversation",
    category_pb2.PRICING_MODEL_PER_MESSAGE: "per_message",
}
MODEL_ENUMS = {name: value for value, name in MODEL_NAMES.items()}
TYPE_NAMES = {
    category_pb2.PRICING_TYPE_REGULAR: "regular",
    category_pb2.PRICING_TYPE_FREE_CUSTOMER_SERVICE: "free_customer_service",
    category_pb2.PRICING_TYPE_FREE_ENTRY_POINT: "free_entry_point",
}
ORIGIN_NAMES = {
    events_pb2.CONVERSATION_ORIGIN_MARKETING: "marketing",
    events_pb2.CONVERSATION_ORIGIN_UTILITY: "utility",
    events_pb2.CONVERSATION_ORIGIN_AUTHENTICATION: "authentication",
    events_pb2.CONVERSATION_ORIGIN_SERVICE: "service",
    events_pb2.CONVERSATION_ORIGIN_REFERRAL_CONVERSION: "referral_conversion",
}
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
    where = f"events[{index}]"
    account_id = validation.require_id(message.account_id, f"{where}.account_id")
    channel_id = validation.require_id(message.channel_id, f"{where}.channel_id")
    contact = _contact(message.contact, f"{where}.contact")
    occur_us = _occur_us(message, f"{where}.occur_time")
    chat_id = validation.text(message.chat_id, f"{where}.chat_id", max_length=ev.MAX_TEXT_LENGTH)
    session_id = _session_id(message.session_id, f"{where}.session_id")
    kind = message.WhichOneof("kind")
    common: dict[str, Any] = {
        "index": index,
        "account_id": account_id,
        "channel_id": channel_id,
        "contact": contact,
        "occur_us": occur_us,
        "chat_id": chat_id,
        "session_id": session_id,
        "payload": message.SerializeToString(deterministic=True),
    }
    if kind == "inbound":
        message_id = _message_id(message.inbound.message_id, f"{where}.inbound.message_id")
        event_id = _event_id(message.event_id, message_id, ev.INBOUND, where)
        referral = message.inbound.HasField("referral")
        return ev.MessageEvent(
            event_id=event_id, message_id=message_id, status=ev.INBOUND, referral=referral, **common
        )
    if kind == "status":
        return _outbound(message.status, message.event_id, where + ".status", common)
    raise InvalidArgument(f"{where}.kind", "set status (an outgoing message) or inbound")


def _outbound(
    status: events_pb2.OutboundStatus, event_id: str, where: str, common: dict[str, Any]
) -> ev.MessageEvent:
    message_id = _message_id(status.message_id, f"{where}.message_id")
    name = STATUS_NAMES.get(status.status)
    if name is None:
        raise InvalidArgument(f"{where}.status", "must be sent, delivered, read or failed")
    category = CATEGORY_NAMES.get(status.category, "")
    if status.is_template and category in ("", "service"):
        raise InvalidArgument(f"{where}.category", "a template needs a template category")
    if not status.is_template and category not in ("", "service"):
        raise InvalidArgument(f"{where}.category", "a non-template message is service")
    if not status.is_template:
        category = "service"
    pricing = None
    if status.HasField("pricing"):
        pricing = ev.MetaPricing(
            billable=status.pricing.billable,
            pricing_model=MODEL_NAMES.get(status.pricing.pricing_model, ""),
            pricing_type=TYPE_NAMES.get(status.pricing.type, ""),
            category=CATEGORY_NAMES.get(status.pricing.category, ""),
        )
    conversation = None
    if status.HasField("conversation"):
        conversation_id = _message_id(status.conversation.id, f"{where}.conversation.id")
        expire = status.conversation.expire_time
        conversation = ev.MetaConversation(
            conversation_id=conversation_id,
            expire_us=expire.seconds * 1_000_000 + expire.nanos // 1_000,
            origin=ORIGIN_NAMES.get(status.conversation.origin, ""),
        )
    return ev.MessageEvent(
        event_id=_event_id(event_id, message_id, name, where.rsplit(".", 1)[0]),
        message_id=message_id,
        status=name,
        is_template=status.is_template,
        template_name=validation.text(
            status.template_name, f"{where}.template_name", max_length=512
        ),
        category=category,
        pricing=pricing,
        conversation=conversation,
        reservation_id=validation.text(
            status.reservation_id, f"{where}.reservation_id", max_length=ev.MAX_TEXT_LENGTH
        ),
        error_code=validation.text(status.error_code, f"{where}.error_code", max_length=64),
        **common,
    )


def _contact(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(field, "is required")
    try:
        return "+" + e164_digits(value)
    except InvalidNumber as error:
        raise InvalidArgument(field, str(error)) from None


def _occur_us(message: events_pb2.MessageEvent, field: str) -> int:
    if not message.HasField("occur_time"):
        raise InvalidArgument(field, "is required")
    stamp = message.occur_time
    if not MIN_OCCUR_S <= stamp.seconds < MAX_OCCUR_S or not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidArgument(field, "must be between 2010 and 2100")
    return stamp.seconds * 1_000_000 + stamp.nanos // 1_000


def _message_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) > ev.MAX_MESSAGE_ID_LENGTH or not value.isprintable() or " " in value:
        raise InvalidArgument(field, f"1 to {ev.MAX_MESSAGE_ID_LENGTH} printable characters")
    return value


def _event_id(value: str, message_id: str, status: str, where: str) -> str:
    if not value:
        return f"{message_id}:{status}"
    return _message_id(value, f"{where}.event_id")


def _session_id(value: str, field: str) -> str:
    validation.text(value, field, max_length=ev.MAX_TEXT_LENGTH)
    if value and (value.count(".") != 2 or not all(value.split("."))):
        raise InvalidArgument(field, "expected client.operation.connector")
    return value
