"""Free windows a user opens by writing to the business, and conversations (older model)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from pricing.rules import PricingRule, rule_on

CUSTOMER_SERVICE = "customer_service"
FREE_ENTRY_POINT = "free_entry_point"
CONVERSATION = "conversation"

DAY_US = 86_400 * 1_000_000
EPOCH_DAY = dt.date(1970, 1, 1)


def lengths_at(at_us: int) -> PricingRule:
    """The pricing rule whose window and conversation lengths apply to a window opened at
    `at_us` (by its UTC day): pricing's rules are the one statement of how long each lasts."""
    return _rule_on_day(at_us // DAY_US)


@lru_cache(maxsize=64)
def _rule_on_day(day_number: int) -> PricingRule:
    return rule_on(EPOCH_DAY + dt.timedelta(days=day_number))


@dataclass(frozen=True, slots=True)
class Window:
    account_id: str
    channel_id: str
    contact: str
    kind: str
    category: str  # conversations only
    open_us: int
    expire_us: int
    message_id: str
    billable: bool = False


def windows_opened_by_inbound(
    account_id: str, channel_id: str, contact: str, at_us: int, message_id: str, referral: bool
) -> list[Window]:
    """Each user message opens or refreshes the customer-service window (24 h); an ad or Page
    entry opens a free-entry-point window (72 h): the lengths of the pricing rule in force."""
    lengths = lengths_at(at_us)
    opened = [
        Window(
            account_id,
            channel_id,
            contact,
            CUSTOMER_SERVICE,
            "",
            at_us,
            at_us + lengths.customer_service_window_us,
            message_id,
        )
    ]
    if referral:
        opened.append(
            Window(
                account_id,
                channel_id,
                contact,
                FREE_ENTRY_POINT,
                "",
                at_us,
                at_us + lengths.free_entry_point_us,
                message_id,
            )
        )
    return opened
