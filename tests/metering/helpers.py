"""Builders of metering requests and readers of the streams metering writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis
from billing.common.v1 import category_pb2
from billing.metering.v1 import events_pb2
from billing.wallet.v1 import account_pb2
from google.protobuf import timestamp_pb2

ACCOUNTS_STREAM = "billing.wallet.accounts"
WINDOWS_STREAM = "billing.metering.windows"
CHARGES_STREAM = "billing.metering.charges"

CATEGORIES = {
    "marketing": category_pb2.CATEGORY_MARKETING,
    "utility": category_pb2.CATEGORY_UTILITY,
    "authentication": category_pb2.CATEGORY_AUTHENTICATION,
    "service": category_pb2.CATEGORY_SERVICE,
}
STATUSES = {
    "sent": events_pb2.MESSAGE_STATUS_SENT,
    "delivered": events_pb2.MESSAGE_STATUS_DELIVERED,
    "read": events_pb2.MESSAGE_STATUS_READ,
    "failed": events_pb2.MESSAGE_STATUS_FAILED,
}
PRICING_TYPES = {
    "regular": category_pb2.PRICING_TYPE_REGULAR,
    "free_customer_service": category_pb2.PRICING_TYPE_FREE_CUSTOMER_SERVICE,
    "free_entry_point": category_pb2.PRICING_TYPE_FREE_ENTRY_POINT,
}


def stamp(text: str) -> timestamp_pb2.Timestamp:
    """A timestamp from ISO text with an offset, e.g. '2026-03-01T10:00:00+00:00'."""
    moment = dt.datetime.fromisoformat(text)
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(moment.astimezone(dt.UTC))
    return result


def profile(
    account_id: str,
    *,
    currency: str = "USD",
    time_zone: str = "UTC",
    portfolio_id: str = "",
    country: str = "US",
    update: str = "2026-01-01T00:00:00+00:00",
    fee_micros: int = 0,
    markup_bps: int = 0,
    overrides: tuple[tuple[str, str, int], ...] = (),
    included: int = 0,
) -> account_pb2.AccountProfile:
    return account_pb2.AccountProfile(
        account_id=account_id,
        currency_code=currency,
        time_zone=time_zone,
        business_country=country,
        portfolio_id=portfolio_id,
        price_list=account_pb2.PriceList(
            overrides=[
                account_pb2.PriceOverride(market=m, category=c, price_micros=p)
                for m, c, p in overrides
            ],
            fee_per_message_micros=fee_micros,
            markup_basis_points=markup_bps,
            included_messages_per_month=included,
        ),
        update_time=stamp(update),
    )


def publish_account(
    client: redis.Redis, event_id: str, account: account_pb2.AccountProfile
) -> None:
    """What the wallet writes on its account stream."""
    changed = account_pb2.AccountChanged(event_id=event_id, profile=account)
    client.xadd(
        ACCOUNTS_STREAM,
        {"event": changed.SerializeToString(), "type": changed.DESCRIPTOR.full_name},
    )


def status(
    account_id: str,
    message_id: str,
    state: str,
    at: str,
    *,
    contact: str = "+14155550100",
    channel: str = "ch-1",
    category: str = "marketing",
    template: bool | None = None,
    pricing: tuple[bool, str, str] | None = None,
    conversation: tuple[str, str, str] | None = None,
    chat_id: str = "",
    session_id: str = "",
    reservation_id: str = "",
    event_id: str = "",
) -> events_pb2.MessageEvent:
    """An outgoing message's status; pricing = (billable, type, category)."""
    is_template = category != "service" if template is None else template
    outbound = events_pb2.OutboundStatus(
        message_id=message_id,
        status=STATUSES[state],
        is_template=is_template,
        category=CATEGORIES[category],
        reservation_id=reservation_id,
    )
    if pricing is not None:
        billable, pricing_type, pricing_category = pricing
        outbound.pricing.CopyFrom(
            events_pb2.Pricing(
                billable=billable,
                pricing_model=category_pb2.PRICING_MODEL_PER_MESSAGE,
                type=PRICING_TYPES[pricing_type],
                category=CATEGORIES[pricing_category],
            )
        )
    if conversation is not None:
        conversation_id, expire, origin = conversation
        outbound.conversation.CopyFrom(
            events_pb2.Conversation(
                id=conversation_id,
                expire_time=stamp(expire),
                origin=events_pb2.ConversationOrigin.Value(f"CONVERSATION_ORIGIN_{origin.upper()}"),
            )
        )
    return events_pb2.MessageEvent(
        event_id=event_id,
        account_id=account_id,
        channel_id=channel,
        contact=contact,
        occur_time=stamp(at),
        chat_id=chat_id,
        session_id=session_id,
        status=outbound,
    )


def inbound(
    account_id: str,
    message_id: str,
    at: str,
    *,
    contact: str = "+14155550100",
    channel: str = "ch-1",
    referral: bool = False,
    chat_id: str = "",
    session_id: str = "",
) -> events_pb2.MessageEvent:
    message = events_pb2.InboundMessage(message_id=message_id)
    if referral:
        message.referral.CopyFrom(events_pb2.Referral(source_type="ad", source_id="ad-1"))
    return events_pb2.MessageEvent(
        account_id=account_id,
        channel_id=channel,
        contact=contact,
        occur_time=stamp(at),
        chat_id=chat_id,
        session_id=session_id,
        inbound=message,
    )


def read_stream(client: redis.Redis, stream: str, message_type: Any) -> list[Any]:
    """Every event on a stream, parsed, oldest first."""
    entries: Any = client.xrange(stream)
    return [message_type.FromString(fields[b"event"]) for _, fields in entries]


def charges(client: redis.Redis) -> list[events_pb2.ChargeSettled]:
    return read_stream(client, CHARGES_STREAM, events_pb2.ChargeSettled)


def windows(client: redis.Redis) -> list[events_pb2.WindowChanged]:
    return read_stream(client, WINDOWS_STREAM, events_pb2.WindowChanged)
