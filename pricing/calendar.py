"""Effective dates become instants at midnight in each business time zone, computed once per zone.

A price decision then needs one timestamp and one bisect, never a time-zone conversion.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pricing.errors import InvalidRequest

MAX_CACHED_ZONES = 1_024
_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})")


MAX_ZONE_NAME = 64  # the longest IANA name is about 32 characters


def parse_zone(name: str) -> tzinfo:
    """An IANA zone name ("Asia/Kolkata") or a fixed UTC offset ("+05:30", "UTC-03:00")."""
    if len(name) > MAX_ZONE_NAME:
        raise InvalidRequest(f"unknown time zone {name[:MAX_ZONE_NAME]!r}...")
    offset = _OFFSET.fullmatch(name)
    if offset is not None:
        sign = -1 if offset[1] == "-" else 1
        hours, minutes = int(offset[2]), int(offset[3])
        if hours > 23 or minutes > 59:
            raise InvalidRequest(f"bad UTC offset {name!r}")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidRequest(f"unknown time zone {name!r}") from None


class EffectiveCalendar:
    """Sorted effective dates and, per time zone, the POSIX instants where they begin."""

    def __init__(self, dates: Iterable[date]) -> None:
        self.dates: tuple[date, ...] = tuple(sorted(set(dates)))
        self._starts_by_zone: dict[str, list[float]] = {}

    def starts(self, time_zone: str) -> list[float]:
        """POSIX timestamps of local midnight starting each effective date in `time_zone`."""
        cached = self._starts_by_zone.get(time_zone)
        if cached is not None:
            return cached
        zone = parse_zone(time_zone)
        starts = [datetime.combine(day, time(0), tzinfo=zone).timestamp() for day in self.dates]
        if len(self._starts_by_zone) < MAX_CACHED_ZONES:
            self._starts_by_zone[time_zone] = starts
        return starts

    def index(self, at: datetime, time_zone: str) -> int:
        """Index of the last effective date begun at `at` in `time_zone`; -1 before all."""
        return bisect_right(self.starts(time_zone), at.timestamp()) - 1
