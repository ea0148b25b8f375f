"""Days of the partner program, in the account's time zone: which day it is, and the instant
a channel's paid days end."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_day(time_zone: str, now_ms: int) -> dt.date:
    """The day it is at `now_ms` in the time zone."""
    return dt.datetime.fromtimestamp(now_ms / 1000, ZoneInfo(time_zone)).date()


def paid_until_ms(time_zone: str, paid: dt.date | None) -> int:
    """The instant the paid days end: midnight after the last paid day, in the time zone."""
    if paid is None:
        return 0
    after = paid + dt.timedelta(days=1)
    zone = ZoneInfo(time_zone)
    return int(dt.datetime(after.year, after.month, after.day, tzinfo=zone).timestamp() * 1000)
