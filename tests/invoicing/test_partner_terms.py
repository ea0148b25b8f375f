"""The rules of partner billing as plain values: which billing a cycle has, when it is due,
and its invoice line."""

from __future__ import annotations

import datetime as dt

from services.invoicing.domain import partner_terms
from services.invoicing.domain.partner_terms import (
    DAYS_USED,
    IN_ADVANCE,
    ON_REQUEST,
    BillingChange,
)

D = dt.date.fromisoformat


def test_a_cycle_keeps_the_billing_in_force_when_it_began() -> None:
    changes = [BillingChange(DAYS_USED, 0), BillingChange(IN_ADVANCE, 3)]
    assert [partner_terms.billing_of_cycle(changes, k) for k in range(5)] == [
        DAYS_USED,
        DAYS_USED,
        DAYS_USED,
        IN_ADVANCE,
        IN_ADVANCE,
    ]
    # A change set again before the first one took effect replaces it.
    changes.append(BillingChange(ON_REQUEST, 3))
    assert partner_terms.billing_of_cycle(changes, 3) == ON_REQUEST
    assert partner_terms.billing_of_cycle([], 7) == ON_REQUEST


def test_a_change_applies_from_the_next_cycle_or_from_the_first_before_it_began() -> None:
    start = D("2026-01-31")
    assert partner_terms.first_cycle_of_change(start, D("2026-01-30")) == 0
    assert partner_terms.first_cycle_of_change(start, D("2026-01-31")) == 1
    assert partner_terms.first_cycle_of_change(start, D("2026-02-27")) == 1
    assert partner_terms.first_cycle_of_change(start, D("2026-02-28")) == 2  # anchored: 28 Feb
    assert partner_terms.cycle(start, 1).start == D("2026-02-28")
    assert partner_terms.cycle(start, 2).start == D("2026-03-31")


def test_in_advance_is_due_on_the_first_day_and_days_used_the_day_after_the_last() -> None:
    march = partner_terms.cycle(D("2026-03-01"), 0)
    assert partner_terms.due_date(IN_ADVANCE, march) == D("2026-03-01")
    assert partner_terms.due_date(DAYS_USED, march) == D("2026-04-01")
    assert partner_terms.due_date(ON_REQUEST, march) == D("2026-03-01")


def test_ranges_read_as_people_write_them() -> None:
    assert partner_terms.day_range(D("2026-03-01"), D("2026-03-31")) == "1\u201331 Mar 2026"
    assert partner_terms.day_range(D("2026-03-10"), D("2026-04-09")) == "10 Mar \u2013 9 Apr 2026"
    assert (
        partner_terms.day_range(D("2026-12-10"), D("2027-01-09")) == "10 Dec 2026 \u2013 9 Jan 2027"
    )


def test_the_lines_bill_channel_months_and_channel_days_exactly() -> None:
    april = partner_terms.cycle(D("2026-04-01"), 0)
    lines, days = partner_terms.in_advance_lines(75, 20_000_000, april)
    assert days == 2_250
    assert [(line.quantity_milli, line.amount_micros) for line in lines] == [
        (75_000, 1_500_000_000)
    ]
    assert lines[0].description == (
        "WhatsApp channels: 75 channels \u00d7 30 days (2,250 days), 1\u201330 Apr 2026"
    )
    # 1,234 channel-days at a thirtieth of 20.00: 822.666666... rounded half up to the micro.
    march = partner_terms.cycle(D("2026-03-01"), 0)
    (line,) = partner_terms.days_used_lines(1_234, 45, 20_000_000, march)
    assert line.description == (
        "WhatsApp channels: 1,234 channel-days used 1\u201331 Mar 2026 (45 channels)"
    )
    assert (line.quantity_milli, line.unit_price_micros, line.amount_micros) == (
        1_234_000,
        666_667,
        822_666_667,
    )
