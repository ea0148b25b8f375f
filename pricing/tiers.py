"""Graduated volume tiers: the rate of message n is the rate of the tier containing n."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import NamedTuple


class Tier(NamedTuple):
    """Messages `first`..`last` of a month (1-based, `last` None = no upper bound) at one rate."""

    first: int
    last: int | None
    rate_micros: int


class Segment(NamedTuple):
    """A run of consecutive messages priced alike, each at `rate_micros`."""

    message_count: int
    rate_micros: int
    tier_index: int


class Schedule:
    """A market/category's rates over the month: one tier (flat list rate) or several."""

    __slots__ = ("_firsts", "tiers")

    def __init__(self, tiers: Sequence[Tier]) -> None:
        if not tiers or tiers[0].first != 1:
            raise ValueError("a schedule starts at message 1")
        for previous, tier in pairwise(tiers):
            if previous.last is None or tier.first != previous.last + 1:
                raise ValueError(f"tier starting at {tier.first} does not follow {previous}")
        if tiers[-1].last is not None:
            raise ValueError("the last tier must be open-ended")
        self.tiers = tuple(tiers)
        self._firsts = tuple(tier.first for tier in tiers)

    @classmethod
    def flat(cls, rate_micros: int) -> Schedule:
        return cls((Tier(1, None, rate_micros),))

    def tier_index(self, monthly_count: int) -> int:
        """Index of the tier holding message number monthly_count + 1."""
        return bisect_right(self._firsts, monthly_count + 1) - 1

    def segments(self, monthly_count: int, message_count: int) -> Iterator[Segment]:
        """Split messages monthly_count+1 .. monthly_count+message_count by tier."""
        position = monthly_count + 1
        remaining = message_count
        index = self.tier_index(monthly_count)
        while remaining > 0:
            tier = self.tiers[index]
            room = remaining if tier.last is None else min(remaining, tier.last - position + 1)
            yield Segment(room, tier.rate_micros, index)
            remaining -= room
            position += room
            index += 1

    def cost_micros(self, monthly_count: int, message_count: int) -> int:
        """Piecewise sum of the rates of the given messages."""
        segments = self.segments(monthly_count, message_count)
        return sum(segment.message_count * segment.rate_micros for segment in segments)
