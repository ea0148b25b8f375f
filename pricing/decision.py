"""What the library answers: Meta's cost and the provider's margin, in integer micros."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class PriceDecision(NamedTuple):
    """The price of one message. price_micros = meta_cost_micros + margin_micros.

    A NamedTuple rather than a frozen dataclass: immutable and typed alike, and built several
    times faster on the hot path (one per message authorised).
    """

    market: str
    country: str | None
    pricing_model: str  # "conversation" | "per_message"
    category: str  # the category charged, e.g. "authentication-international"
    billable: bool  # Meta charges this message (or the conversation it opens)
    pricing_type: str  # "regular" | "free_customer_service" | "free_entry_point"
    rate_micros: int  # Meta's rate applied to this message; 0 when not billable
    meta_cost_micros: int
    margin_micros: int
    price_micros: int
    currency: str
    reason: str
    opens_conversation: bool = False
    rate_card: str | None = None  # e.g. "meta_USD_2026-10-01"
    tier: int | None = None  # 1-based tier number when a tier table applied

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class BatchLine(NamedTuple):
    """`message_count` consecutive messages priced alike."""

    message_count: int
    rate_micros: int
    meta_cost_micros: int
    margin_micros: int
    price_micros: int
    note: str


@dataclass(frozen=True, slots=True)
class BatchPrice:
    """N messages after a monthly count: piecewise over tiers and plan-included messages."""

    first: PriceDecision  # the decision for the first message of the batch
    message_count: int
    meta_cost_micros: int
    margin_micros: int
    price_micros: int
    lines: tuple[BatchLine, ...]
