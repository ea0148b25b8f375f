"""Billing cycles: anchored to the day a subscription started, in whole months.

A subscription started on 10 March has cycles 10 Mar - 9 Apr, 10 Apr - 9 May, ...; each is
billed on its billing date, the day after it ends. An anchor day a month does not have (29,
30, 31) falls on that month's last day: started 31 Jan → 28 (or 29) Feb, 31 Mar, 30 Apr.
Cycle k is computed from the start month + k periods, never from the previous cycle, so a
short month never drags the anchor.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

ONE_DAY = dt.timedelta(days=1)
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Cycle:
    index: int
    start: dt.date
    # Inclusive; for a subscription ended early, the last day of service.
    end: dt.date
    # Days of the full cycle; equals len(self) unless service ended inside it.
    full_days: int

    @property
    def billing_date(self) -> dt.date:
        return self.end + ONE_DAY

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_partial(self) -> bool:
        return self.days < self.full_days


def anchored_date(year: int, month: int, anchor_day: int) -> dt.date:
    """The anchor day in a month, or the month's last day when the month is shorter."""
    if not 1 <= anchor_day <= 31:
        raise ValueError(f"anchor day must be 1..31, got {anchor_day}")
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(anchor_day, last_day))


def add_months(start: dt.date, months: int, anchor_day: int) -> dt.date:
    month_index = start.year * MONTHS_PER_YEAR + (start.month - 1) + months
    year, month = divmod(month_index, MONTHS_PER_YEAR)
    return anchored_date(year, month + 1, anchor_day)


def cycle_start(start_date: dt.date, index: int, period_months: int) -> dt.date:
    return add_months(start_date, index * period_months, start_date.day)


def cycle(
    start_date: dt.date, index: int, period_months: int, end_date: dt.date | None = None
) -> Cycle:
    """Cycle number `index` (0 is the first) of a subscription; cut at end_date if given."""
    if index < 0 or period_months < 1:
        raise ValueError("cycle index must be >= 0 and a period at least one month")
    start = cycle_start(start_date, index, period_months)
    full_end = cycle_start(start_date, index + 1, period_months) - ONE_DAY
    full_days = (full_end - start).days + 1
    end = full_end if end_date is None or end_date >= full_end else end_date
    if end < start:
        raise ValueError(f"service ended on {end_date} before cycle {index} began on {start}")
    return Cycle(index=index, start=start, end=end, full_days=full_days)


def cycle_containing(start_date: dt.date, day: dt.date, period_months: int) -> Cycle:
    """The cycle a day falls in (the first cycle for days before the start)."""
    months = (day.year - start_date.year) * MONTHS_PER_YEAR + day.month - start_date.month
    index = max(0, months // period_months)
    while index > 0 and cycle_start(start_date, index, period_months) > day:
        index -= 1
    found = cycle(start_date, index, period_months)
    if found.end < day:
        found = cycle(start_date, index + 1, period_months)
    return found


def month_slices(billing_cycle: Cycle, anchor_day: int) -> list[tuple[dt.date, dt.date]]:
    """The cycle cut into anchored months (one slice for monthly plans).

    Active users are counted per month: a plan's included users are monthly.
    """
    slices: list[tuple[dt.date, dt.date]] = []
    start = billing_cycle.start
    months = 0
    while start <= billing_cycle.end:
        months += 1
        next_start = add_months(billing_cycle.start, months, anchor_day)
        slices.append((start, min(next_start - ONE_DAY, billing_cycle.end)))
        start = next_start
    return slices
