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
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common import validation
from services.wallet.adapters import tables
from services.wallet.domain.accounts import AccountView

REGISTERED = "registered"
DELETED = "deleted"
EPOCH = dt.date(1970, 1, 1)
MAX_RANGE_DAYS = 366  # a billing cycle is a month; a year at most


@dataclass(frozen=True)
class ChannelDays:
    channel_days: int
    # Live as the range's first day began: registered before it and not deleted before it.
    live_channels: int
    channels_used: int


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


def record(
    connection: Connection, view: AccountView, channel_id: str, kind: str, now: dt.datetime
) -> None:
    """Append a registration or deletion, dated in the account's time zone (in the caller's
    transaction, under the account's lock, so events of a channel keep their order)."""
    day = now.astimezone(ZoneInfo(view.time_zone)).date()
    connection.execute(
        tables.channel_events.insert().values(
            account_id=view.account_id,
            channel_id=channel_id,
            kind=kind,
            epoch_day=epoch_day(day),
            created_ms=int(now.timestamp() * 1000),
        )
    )


def date_range(from_date: str, to_date: str) -> tuple[dt.date, dt.date]:
    return validation.date_range(from_date, to_date, MAX_RANGE_DAYS)


def count(connection: Connection, account_id: str, first: dt.date, last: dt.date) -> ChannelDays:
    """Channel-days over first..last (inclusive), in one query.

    Each registration opens a period that the channel's next event closes (its deletion); a
    period still open runs past the range. Events after the range are left out, so a period
    they close is open as far as the range can see.
    """
    events = tables.channel_events.c
    start, after = epoch_day(first), epoch_day(last) + 1
    periods = (
        sa.select(
            events.channel_id,
            events.kind,
            events.epoch_day.label("from_day"),
            sa.func.lead(events.epoch_day)
            .over(partition_by=events.channel_id, order_by=events.id)
            .label("until_day"),
        )
        .where(events.account_id == account_id, events.epoch_day < after)
        .subquery()
    )
    p = periods.c
    begins = sa.case((p.from_day > start, p.from_day), else_=start)
    ends = sa.case((p.until_day.is_(None) | (p.until_day > after), after), else_=p.until_day)
    live_days = sa.case((ends > begins, ends - begins), else_=0)
    live_at_start = sa.case(
        ((p.from_day < start) & (p.until_day.is_(None) | (p.until_day >= start)), 1), else_=0
    )
    row = connection.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(live_days), 0),
            sa.func.coalesce(sa.func.sum(live_at_start), 0),
            sa.func.count(sa.distinct(sa.case((live_days > 0, p.channel_id)))),
        ).where(p.kind == REGISTERED)
    ).one()
    return ChannelDays(int(row[0]), int(row[1]), int(row[2]))
