"""Which dated rule is in force."""

from __future__ import annotations

from datetime import date

from pricing.rules import RULES, rule_on


def test_the_rule_in_force_is_the_last_one_effective_on_the_day() -> None:
    assert rule_on(date(2025, 7, 1)).name == "per-message pricing (2025-07-01)"
    assert rule_on(date(2025, 6, 30)).name == "conversation-based pricing (2024-11-01)"
    assert rule_on(date(2030, 1, 1)) is RULES[-1]
    assert rule_on(date(2000, 1, 1)) is RULES[0]
