"""The wallet's message revenue for an account over delivery dates: what its ledger took for
the messages delivered then (commits of their reservations and direct charges), plus any
revenue no metering charge explains, dated by when it was booked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.wallet.adapters import tables
from services.wallet.domain import ledger

# Revenue is booked after delivery: at most this long after it (late receipts, retries).
BOOKED_WITHIN = dt.timedelta(days=62)


@dataclass(frozen=True, slots=True)
class MessageRevenue:
    revenue_micros: int
    messages: int  # messages with revenue booked
    unexplained_micros: int  # revenue with no metering charge behind it


def message_revenue(
    engine: Engine, account_id: str, time_zone: str, start: dt.date, end: dt.date
) -> MessageRevenue:
    zone = ZoneInfo(time_zone)
    start_ms = int(dt.datetime.combine(start, dt.time(), zone).timestamp() * 1000)
    end_ms = int(
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp() * 1000
    )
    e, r, c = tables.ledger_entries.c, tables.reservations.c, tables.charges.c
    with engine.connect() as connection:
        legs = connection.execute(
            sa.select(e.kind, e.reference, e.created_ms, e.credit_micros - e.debit_micros).where(
                e.account_id == account_id,
                e.ledger_account.like(ledger.revenue_account("%")),
                e.created_ms >= start_ms,
                e.created_ms < end_ms + int(BOOKED_WITHIN.total_seconds() * 1000),
            )
        ).all()
        commits = [reference for kind, reference, _at, _m in legs if kind == ledger.COMMIT]
        message_of = dict(
            connection.execute(
                sa.select(r.reservation_id, r.message_id).where(r.reservation_id.in_(commits))
            ).all()
        )
        messages = {message_of.get(ref, "") for kind, ref, _a, _m in legs if kind == ledger.COMMIT}
        messages |= {ref for kind, ref, _a, _m in legs if kind == ledger.CHARGE}
        delivered = dict(
            connection.execute(
                sa.select(c.message_id, c.occur_ms).where(
                    c.account_id == account_id, c.message_id.in_(sorted(messages - {""}))
                )
            ).all()
        )
    revenue = unexplained = 0
    counted: set[str] = set()
    for kind, reference, created_ms, micros in legs:
        message = message_of.get(reference, "") if kind == ledger.COMMIT else reference
        occur_ms = delivered.get(message)
        when = occur_ms if occur_ms is not None else created_ms
        if not start_ms <= when < end_ms or not micros:
            continue
        revenue += micros
        counted.add(message)
        if occur_ms is None:
            unexplained += micros
    return MessageRevenue(revenue, len(counted), unexplained)
