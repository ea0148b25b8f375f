"""How a partner is billed for its channels (the partner seed: "We bill you monthly or on
request based on the amount of channels you manage ... Billing can be in advance or
postpaid for days used"), as plain rules.

- on request: the partner asks for channels or days and gets an invoice then (the default);
- in advance: each month on the anchor day, the channels live as that day begins x 30 days
  at the contract price; the days go to the partner's pool once the invoice is paid;
- days used (postpaid): each month, the day after the cycle ends, the channel-days its
  channels were live in the cycle at a thirtieth of the contract price; no days change hands.

The months are cycles anchored on the contract's start date, as subscriptions' are. Each cycle
is billed one way, the way in force when it began: a change made during a cycle applies from
the next, so no cycle is billed twice, or in advance and again for the days it used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.invoicing.domain import cycles, money
from services.invoicing.domain.invoices import Line
from services.invoicing.domain.lines import DAYS_PER_CHANNEL_MONTH

ON_REQUEST = "on_request"
IN_ADVANCE = "in_advance"
DAYS_USED = "days_used"
MONTHS_PER_CYCLE = 1
TIMES = "\u00d7"  # the multiplication sign, as in 75 channels x 30 days
EN_DASH = "\u2013"  # the en dash between the ends of a range, as in 1-31 Mar 2026


@dataclass(frozen=True)
class BillingChange:
    """The billing in force from cycle `from_cycle` on (until a later change)."""

    billing: str
    from_cycle: int


def billing_of_cycle(changes: Sequence[BillingChange], index: int) -> str:
    """The billing of cycle `index`: the last change set among those applying to it.

    Changes are given in the order they were set; each applies from the cycle after the one
    under way when it was set (or from the first, before the schedule began), so a later
    change never reaches back into a cycle an earlier one already governs.
    """
    billing = ON_REQUEST
    for change in changes:
        if change.from_cycle <= index:
            billing = change.billing
    return billing


def cycle(start_date: dt.date, index: int) -> cycles.Cycle:
    return cycles.cycle(start_date, index, MONTHS_PER_CYCLE)


def first_cycle_of_change(start_date: dt.date, today: dt.date) -> int:
    """The cycle a change set today applies from: the next one, or the first before it began."""
    if today < start_date:
        return 0
    return cycles.cycle_containing(start_date, today, MONTHS_PER_CYCLE).index + 1


def current_cycle_index(start_date: dt.date, today: dt.date) -> int:
    """The cycle under way today (the first one before the schedule began)."""
    if today < start_date:
        return 0
    return cycles.cycle_containing(start_date, today, MONTHS_PER_CYCLE).index


def due_date(billing: str, billed: cycles.Cycle) -> dt.date:
    """When a cycle is billed: in advance on its first day, days used the day after its last
    (a cycle billed on request has nothing to bill; it is passed at its start)."""
    return billed.billing_date if billing == DAYS_USED else billed.start


def day_range(start: dt.date, end: dt.date) -> str:
    """As a reader writes it, with an en dash: 1-31 Mar 2026, 10 Mar - 9 Apr 2026,
    10 Dec 2026 - 9 Jan 2027."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}{EN_DASH}{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} {EN_DASH} {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} {EN_DASH} {end.day} {end:%b %Y}"


def in_advance_lines(
    channels: int, price_per_channel_month_micros: int, billed: cycles.Cycle
) -> tuple[list[Line], int]:
    """Channels x 30 days at the contract price; returns the lines and the days to credit."""
    days = channels * DAYS_PER_CHANNEL_MONTH
    text = (
        f"WhatsApp channels: {channels:,} channels {TIMES} {DAYS_PER_CHANNEL_MONTH} days "
        f"({days:,} days), {day_range(billed.start, billed.end)}"
    )
    return [Line.priced(text, "partner_days", channels, price_per_channel_month_micros)], days


def days_used_lines(
    channel_days: int, channels: int, price_per_channel_month_micros: int, billed: cycles.Cycle
) -> list[Line]:
    """The channel-days used at a thirtieth of the contract price each; the amount is exact
    to the micro (half up) and the unit price shown rounded the same way."""
    text = (
        f"WhatsApp channels: {channel_days:,} channel-days used "
        f"{day_range(billed.start, billed.end)} ({channels:,} channels)"
    )
    return [
        Line(
            description=text,
            kind="partner_days_used",
            quantity_milli=channel_days * 1000,
            unit_price_micros=money.divide_half_up(
                price_per_channel_month_micros, DAYS_PER_CHANNEL_MONTH
            ),
            amount_micros=money.divide_half_up(
                channel_days * price_per_channel_month_micros, DAYS_PER_CHANNEL_MONTH
            ),
        )
    ]
