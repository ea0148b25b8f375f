"""Metering takes the lengths of free windows from pricing's rules (plain values, no servers)."""

from __future__ import annotations

from datetime import date

from pricing.rules import LONGEST_FREE_ENTRY_POINT_US, MICROS_PER_HOUR, rule_on
from services.metering.domain.windows import (
    CUSTOMER_SERVICE,
    DAY_US,
    FREE_ENTRY_POINT,
    windows_opened_by_inbound,
)


def test_metering_windows_last_as_long_as_the_rule_in_force_says() -> None:
    at_us = (date(2026, 3, 2) - date(1970, 1, 1)).days * DAY_US + 5 * MICROS_PER_HOUR
    rule = rule_on(date(2026, 3, 2))
    opened = windows_opened_by_inbound("acct", "chan", "+12125550123", at_us, "m-1", True)
    lengths = {window.kind: window.expire_us - window.open_us for window in opened}
    assert lengths == {
        CUSTOMER_SERVICE: rule.customer_service_window_hours * MICROS_PER_HOUR,
        FREE_ENTRY_POINT: rule.free_entry_point_hours * MICROS_PER_HOUR,
    }
    assert lengths[FREE_ENTRY_POINT] == 72 * MICROS_PER_HOUR
    assert lengths[FREE_ENTRY_POINT] <= LONGEST_FREE_ENTRY_POINT_US
