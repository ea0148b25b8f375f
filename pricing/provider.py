"""A provider's price on top of Meta's cost, per account.

For each message Meta charges (billable), in this order:
1. Plan-included messages: while fewer than `included_messages_per_month` charged messages
   were counted this month for the account, the client pays nothing; the provider carries
   Meta's cost (margin = -cost).
2. Price list: a listed (market, category) price replaces the whole client price.
3. Otherwise: cost + markup (basis points of the cost, rounded half up to the micro) + fee.
Messages Meta does not charge cost the client nothing and use no included message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from pricing.errors import InvalidRequest
from pricing.money import markup_micros


class Margin(NamedTuple):
    margin_micros: int
    note: str


@dataclass(frozen=True, slots=True)
class ProviderPricing:
    price_list: Mapping[tuple[str, str], int] = field(default_factory=dict)
    fee_per_message_micros: int = 0
    markup_bps: int = 0
    included_messages_per_month: int = 0

    def __post_init__(self) -> None:
        if self.fee_per_message_micros < 0 or self.markup_bps < 0:
            raise InvalidRequest("provider fee and markup cannot be negative")
        if self.included_messages_per_month < 0:
            raise InvalidRequest("included messages cannot be negative")
        if any(price < 0 for price in self.price_list.values()):
            raise InvalidRequest("price-list prices cannot be negative")

    def margin(
        self, meta_cost_micros: int, market: str, category: str, provider_monthly_count: int
    ) -> Margin:
        """The provider's margin on one charged message (client price = cost + margin)."""
        if provider_monthly_count < self.included_messages_per_month:
            number = provider_monthly_count + 1
            note = f"included in plan ({number} of {self.included_messages_per_month} this month)"
            return Margin(-meta_cost_micros, note)
        listed = self.price_list.get((market, category))
        if listed is not None:
            return Margin(listed - meta_cost_micros, "account price list")
        markup = markup_micros(meta_cost_micros, self.markup_bps)
        margin = markup + self.fee_per_message_micros
        return Margin(margin, f"markup {self.markup_bps} bps + fee {self.fee_per_message_micros}")
