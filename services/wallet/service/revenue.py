"""The wallet's message revenue for an account over delivery dates: what its ledger took for
the messages delivered then (commits of their reservations and direct charges), plus any
revenue no metering charge explains, dated by when it was booked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from services.wallet.domain import ledger
from services.wallet.service.ports.revenue import RevenueWork

# Revenue is booked after delivery: at most this long after it (late receipts, retries).
BOOKED_WITHIN = dt.timedelta(days=62)


@dataclass(frozen=True, slots=True)
class MessageRevenue:
    revenue_micros: int
    messages: int  # messages with revenue booked
    unexplained_micros: int  # revenue with no metering charge behind it


def message_revenue(
    work: Callable[[], RevenueWork], account_id: str, time_zone: str, start: dt.date, end: dt.date
) -> MessageRevenue:
    zone = ZoneInfo(time_zone)
    start_ms = int(dt.datetime.combine(start, dt.time(), zone).timestamp() * 1000)
    end_ms = int(
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp() * 1000
    )
    booked_until_ms = end_ms + int(BOOKED_WITHIN.total_seconds() * 1000)
    with work() as reading:
        records = reading.revenue
        legs = records.legs(account_id, ledger.revenue_account("%"), start_ms, booked_until_ms)
        commits = [leg.reference for leg in legs if leg.kind == ledger.COMMIT]
        message_of = records.messages_of(commits)
        messages = {message_of.get(leg.reference, "") for leg in legs if leg.kind == ledger.COMMIT}
        messages |= {leg.reference for leg in legs if leg.kind == ledger.CHARGE}
        delivered = records.delivered(account_id, sorted(messages - {""}))
    revenue = unexplained = 0
    counted: set[str] = set()
    for leg in legs:
        message = message_of.get(leg.reference, "") if leg.kind == ledger.COMMIT else leg.reference
        occur_ms = delivered.get(message)
        when = occur_ms if occur_ms is not None else leg.created_ms
        if not start_ms <= when < end_ms or not leg.micros:
            continue
        revenue += leg.micros
        counted.add(message)
        if occur_ms is None:
            unexplained += leg.micros
    return MessageRevenue(revenue, len(counted), unexplained)
