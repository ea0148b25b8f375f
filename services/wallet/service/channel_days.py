"""Channel-days: how many channels an account kept, day by day, for partners billed by them.

Every registration and deletion of a channel is appended to `wallet_channel_events` with its
day in the account's time zone, in the transaction that makes it; nothing there is edited.
A channel is live from the day it is registered up to the day before it is deleted: the day
of registration counts, the day of deletion does not. Registered and deleted on one day, it
counts no day; deleted and registered again, each period counts (a day it was deleted and
registered again on counts once).
"""

from __future__ import annotations

import datetime as dt

from services.common import validation
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.days import local_day
from services.wallet.service.ports.days import ChannelDays, DayRecords

__all__ = ["ChannelDays", "date_range", "epoch_day", "record"]

REGISTERED = "registered"
DELETED = "deleted"
EPOCH = dt.date(1970, 1, 1)
MAX_RANGE_DAYS = 366  # a billing cycle is a month; a year at most


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


def record(days: DayRecords, view: AccountView, channel_id: str, kind: str, now_ms: int) -> None:
    """Append a registration or deletion, dated in the account's time zone (in the caller's
    unit of work, under the account's lock, so events of a channel keep their order)."""
    day = local_day(view.time_zone, now_ms)
    days.record_channel_event(view.account_id, channel_id, kind, epoch_day(day), now_ms)


def date_range(from_date: str, to_date: str) -> tuple[dt.date, dt.date]:
    return validation.date_range(from_date, to_date, MAX_RANGE_DAYS)
