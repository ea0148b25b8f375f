"""Calendar arithmetic for usage figures: local dates, month day-masks, the projection rule."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

MAX_RANGE_DAYS = 3_660


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def day_bit(day: dt.date) -> int:
    """The bit of `day` in its month's activity mask (bit 0 is the 1st)."""
    return 1 << (day.day - 1)


def month_masks(start: dt.date, end: dt.date) -> dict[str, int]:
    """For an inclusive date range: each month it touches and the mask of its days in range."""
    masks: dict[str, int] = {}
    day = start
    while day <= end:
        last = dt.date(day.year, day.month, days_in_month(day.year, day.month))
        stop = min(last, end)
        bits = (1 << stop.day) - 1
        bits &= ~((1 << (day.day - 1)) - 1)
        masks[month_of(day)] = bits
        day = stop + dt.timedelta(days=1)
    return masks


def project_month_end(month_to_date_micros: int, days_elapsed: int, month_days: int) -> int:
    """Approximate charges: month-to-date / days elapsed x days in month, rounded down."""
    if days_elapsed <= 0:
        return 0
    if days_elapsed >= month_days:
        return month_to_date_micros
    return month_to_date_micros * month_days // days_elapsed


@dataclass
class CategoryTotals:
    free_messages: int = 0
    paid_messages: int = 0
    free_conversations: int = 0
    paid_conversations: int = 0


@dataclass
class UsageTotals:
    """Counts for one day or month (one phone number, or the whole account)."""

    notifications_sent: int = 0
    unique_users_added: int = 0
    charges_micros: int = 0
    categories: dict[str, CategoryTotals] = field(default_factory=dict)

    def category(self, name: str) -> CategoryTotals:
        return self.categories.setdefault(name, CategoryTotals())

    def add(self, other: UsageTotals) -> None:
        """Adds another day's (or month's) counts to these."""
        self.notifications_sent += other.notifications_sent
        self.unique_users_added += other.unique_users_added
        self.charges_micros += other.charges_micros
        for name, counts in other.categories.items():
            mine = self.category(name)
            mine.free_messages += counts.free_messages
            mine.paid_messages += counts.paid_messages
            mine.free_conversations += counts.free_conversations
            mine.paid_conversations += counts.paid_conversations

    @property
    def paid_messages(self) -> int:
        return sum(c.paid_messages for c in self.categories.values())

    @property
    def free_messages(self) -> int:
        return sum(c.free_messages for c in self.categories.values())

    @property
    def paid_conversations(self) -> int:
        return sum(c.paid_conversations for c in self.categories.values())

    @property
    def free_conversations(self) -> int:
        return sum(c.free_conversations for c in self.categories.values())
