"""A message the business sent, as its statuses arrive (in any order, some twice)."""

from __future__ import annotations

from dataclasses import dataclass

from services.metering.domain.events import FAILED, MessageEvent, MetaPricing

COMMIT = "commit"
RELEASE = "release"


def encode_pricing(pricing: MetaPricing | None) -> str:
    if pricing is None:
        return ""
    billable = "1" if pricing.billable else "0"
    return f"{billable}|{pricing.pricing_model}|{pricing.pricing_type}|{pricing.category}"


def decode_pricing(text: str) -> MetaPricing | None:
    if not text:
        return None
    billable, model, pricing_type, category = text.split("|")
    return MetaPricing(billable == "1", model, pricing_type, category)


@dataclass
class MessageState:
    account_id: str
    message_id: str
    channel_id: str
    contact: str
    first_us: int
    chat_id: str = ""
    session_id: str = ""
    is_template: bool = False
    category: str = ""
    reservation_id: str = ""
    meta_pricing: str = ""
    notified: bool = False
    action: str = ""
    changed: bool = False

    @property
    def pricing(self) -> MetaPricing | None:
        return decode_pricing(self.meta_pricing)

    @property
    def settled(self) -> bool:
        return bool(self.action)

    def merge(self, event: MessageEvent) -> bool:
        """Take what `event` tells; True when the template is counted as sent for the first time."""
        self.changed = True
        self.first_us = min(self.first_us, event.occur_us)
        self.chat_id = self.chat_id or event.chat_id
        self.session_id = self.session_id or event.session_id
        self.reservation_id = self.reservation_id or event.reservation_id
        if event.category and (not self.category or event.is_template):
            self.category = event.category
            self.is_template = event.is_template
        if event.pricing is not None:
            self.meta_pricing = encode_pricing(event.pricing)
        if self.is_template and not self.notified and event.status != FAILED:
            self.notified = True
            return True
        return False
