"""Request checks invoicing adds to the shared ones, made at the edge."""

from __future__ import annotations

from google.protobuf.message import Message

from services.common.errors import InvalidArgument
from services.invoicing.domain import cards


def no_card_numbers(message: Message, prefix: str = "") -> None:
    """Refuse a request in which any text field holds something like a full card number."""
    for descriptor, value in message.ListFields():
        name = f"{prefix}{descriptor.name}"
        if descriptor.type == descriptor.TYPE_STRING:
            values = value if descriptor.is_repeated else [value]
            if any(cards.looks_like_card_number(text) for text in values):
                raise InvalidArgument(name, "looks like a card number; send the provider's token")
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            children = value if descriptor.is_repeated else [value]
            for child in children:
                no_card_numbers(child, f"{name}.")


def required_key(key: str) -> str:
    if not key:
        raise InvalidArgument("idempotency_key", "is required")
    return key
