"""Meta's pricing models as dated rules. A rule is data; `decide` reads it, one place only.

Effective dates are local dates: a rule applies from midnight in the business's time zone.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from pricing.ratecards import (
    AUTHENTICATION,
    AUTHENTICATION_INTERNATIONAL,
    SERVICE,
    TIERED_CATEGORIES,
    UTILITY,
)

MICROS_PER_HOUR = 3_600 * 1_000_000
CONVERSATION = "conversation"
PER_MESSAGE = "per_message"
REGULAR = "regular"
FREE_CUSTOMER_SERVICE = "free_customer_service"
FREE_ENTRY_POINT = "free_entry_point"
_AUTHENTICATION_FAMILY = frozenset({AUTHENTICATION, AUTHENTICATION_INTERNATIONAL})


class Window(enum.StrEnum):
    """The free window the recipient is in when the message is sent."""

    NONE = "none"
    SERVICE = "service"  # customer-service window: 24 h from the user's last message
    FREE_ENTRY_POINT = "free-entry-point"  # 72 h after an ad or Page-button entry


@dataclass(frozen=True, slots=True)
class PricingRule:
    """How Meta charges from `effective` until the next rule."""

    effective: date
    model: str  # CONVERSATION or PER_MESSAGE
    name: str
    service_charged: bool
    free_service_conversations_per_month: int = 0
    free_in_service_window: frozenset[str] = frozenset()
    volume_tiers: bool = False
    conversation_hours: int = 24
    customer_service_window_hours: int = 24
    free_entry_point_hours: int = 72

    @property
    def card_unit(self) -> str:
        return "conversation" if self.model == CONVERSATION else "message"

    @property
    def customer_service_window_us(self) -> int:
        return self.customer_service_window_hours * MICROS_PER_HOUR

    @property
    def free_entry_point_us(self) -> int:
        return self.free_entry_point_hours * MICROS_PER_HOUR

    @property
    def conversation_us(self) -> int:
        return self.conversation_hours * MICROS_PER_HOUR


RULES: tuple[PricingRule, ...] = (
    PricingRule(
        date(2023, 6, 1),
        CONVERSATION,
        "conversation-based pricing (2023-06-01)",
        service_charged=True,
        free_service_conversations_per_month=1_000,
    ),
    PricingRule(
        date(2024, 11, 1),
        CONVERSATION,
        "conversation-based pricing (2024-11-01)",
        service_charged=False,
    ),
    PricingRule(
        date(2025, 7, 1),
        PER_MESSAGE,
        "per-message pricing (2025-07-01)",
        service_charged=False,
        free_in_service_window=frozenset({SERVICE, UTILITY}),
        volume_tiers=True,
    ),
    PricingRule(
        date(2026, 10, 1),
        PER_MESSAGE,
        "per-message pricing (2026-10-01)",
        service_charged=True,
        volume_tiers=True,
    ),
)

LONGEST_FREE_ENTRY_POINT_US = max(rule.free_entry_point_us for rule in RULES)


def rule_on(day: date, rules: Sequence[PricingRule] = RULES) -> PricingRule:
    """The rule in force on `day`; the first rule for days before any (rules by date)."""
    in_force = rules[0]
    for rule in rules:
        if rule.effective > day:
            break
        in_force = rule
    return in_force


class Verdict(NamedTuple):
    """What the rule says about one message, before any rate is looked up."""

    charged: bool
    pricing_type: str
    opens_conversation: bool
    use_tiers: bool
    free_first_per_month: int  # the first N of the month are free (old service tier)
    reason: str


def decide(
    rule: PricingRule, category: str, window: Window, open_conversations: Set[str]
) -> Verdict:
    if window is Window.FREE_ENTRY_POINT:
        note = f"free entry point window ({rule.free_entry_point_hours} h): nothing is charged"
        return Verdict(False, FREE_ENTRY_POINT, False, False, 0, note)
    if rule.model == CONVERSATION:
        return _conversation(rule, category, open_conversations)
    return _per_message(rule, category, window)


def _conversation(rule: PricingRule, category: str, open_conversations: Set[str]) -> Verdict:
    if category != SERVICE:
        family = _AUTHENTICATION_FAMILY if category in _AUTHENTICATION_FAMILY else {category}
        if not family.isdisjoint(open_conversations):
            note = f"a {category} conversation is already open; it was charged when it opened"
            return Verdict(False, REGULAR, False, False, 0, note)
        return Verdict(True, REGULAR, True, False, 0, f"opens a {category} conversation")
    if open_conversations:
        note = f"inside an open {', '.join(sorted(open_conversations))} conversation"
        return Verdict(False, REGULAR, False, False, 0, note)
    if not rule.service_charged:
        note = "opens a service conversation; service conversations are free"
        return Verdict(False, FREE_CUSTOMER_SERVICE, True, False, 0, note)
    free = rule.free_service_conversations_per_month
    return Verdict(True, REGULAR, True, False, free, "opens a service conversation")


def _per_message(rule: PricingRule, category: str, window: Window) -> Verdict:
    if category == SERVICE and not rule.service_charged:
        return Verdict(False, FREE_CUSTOMER_SERVICE, False, False, 0, "service messages are free")
    if category == SERVICE:
        note = "service message charged per message at the service rate, without tiers"
        return Verdict(True, REGULAR, False, False, 0, note)
    if window is Window.SERVICE and category in rule.free_in_service_window:
        note = f"{category} template inside the customer-service window is free"
        return Verdict(False, FREE_CUSTOMER_SERVICE, False, False, 0, note)
    tiers = rule.volume_tiers and category in TIERED_CATEGORIES
    where = " inside the customer-service window" if window is Window.SERVICE else ""
    return Verdict(
        True, REGULAR, False, tiers, 0, f"{category} template{where} charged per message"
    )
