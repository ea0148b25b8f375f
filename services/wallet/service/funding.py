"""Funding terms over time, by day in the account's time zone: which mode (prepaid, soft
limit, postpaid) and limit applied on each day, and switches scheduled for a later day (a
switch takes effect at the start of a billing cycle, so no cycle is paid two ways)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.wallet.adapters import tables

FIELDS = frozenset({"funding_mode", "overdraft_limit_micros", "credit_limit_micros"})
MAX_SCHEDULE_DAYS = 400


@dataclass(frozen=True, slots=True)
class Period:
    mode: str  # prepaid | soft | postpaid
    start: dt.date
    end: dt.date
    limit_micros: int


def record(
    connection: Connection,
    account_id: str,
    effective: dt.date,
    mode: str,
    limit_micros: int,
    applied: bool,
) -> None:
    """The terms from `effective` on (replacing any recorded for that day)."""
    t = tables.funding_modes
    key = (t.c.account_id == account_id, t.c.effective_date == effective.isoformat())
    connection.execute(t.delete().where(*key))
    connection.execute(
        t.insert().values(
            account_id=account_id,
            effective_date=effective.isoformat(),
            funding_mode=mode,
            limit_micros=limit_micros,
            applied=applied,
            created_ms=time.time_ns() // 1_000_000,
        )
    )


def drop_scheduled_after(connection: Connection, account_id: str, day: dt.date) -> None:
    """A change made for `day` replaces switches scheduled after it."""
    t = tables.funding_modes
    connection.execute(
        t.delete().where(
            t.c.account_id == account_id,
            t.c.effective_date > day.isoformat(),
            t.c.applied.is_(False),
        )
    )


def periods(
    connection: Connection, account_id: str, start: dt.date, end: dt.date
) -> tuple[list[Period], list[Period]]:
    """The periods covering [start, end], and the switches scheduled after `end`."""
    t = tables.funding_modes
    rows = connection.execute(
        sa.select(t.c.effective_date, t.c.funding_mode, t.c.limit_micros)
        .where(t.c.account_id == account_id)
        .order_by(t.c.effective_date)
    ).all()
    changes = [(dt.date.fromisoformat(day), mode, limit) for day, mode, limit in rows]
    if changes:  # before its first record the account had the first terms
        changes[0] = (dt.date.min, *changes[0][1:])
    covering: list[Period] = []
    later: list[Period] = []
    for index, (day, mode, limit) in enumerate(changes):
        following = changes[index + 1][0] if index + 1 < len(changes) else dt.date.max
        last = following - dt.timedelta(days=1)
        if day > end:
            later.append(Period(mode, day, last, limit))
        elif last >= start:
            covering.append(Period(mode, max(day, start), min(last, end), limit))
    return covering, later


def due(connection: Connection, through: dt.date, limit: int) -> list[tuple[str, dt.date]]:
    """Scheduled switches whose day is at most `through` (account, day), oldest first."""
    t = tables.funding_modes
    rows = connection.execute(
        sa.select(t.c.account_id, t.c.effective_date)
        .where(t.c.applied.is_(False), t.c.effective_date <= through.isoformat())
        .order_by(t.c.effective_date)
        .limit(limit)
    ).all()
    return [(account_id, dt.date.fromisoformat(day)) for account_id, day in rows]


def scheduled(connection: Connection, account_id: str, day: dt.date) -> tuple[str, int] | None:
    t = tables.funding_modes
    row = connection.execute(
        sa.select(t.c.funding_mode, t.c.limit_micros).where(
            t.c.account_id == account_id,
            t.c.effective_date == day.isoformat(),
            t.c.applied.is_(False),
        )
    ).first()
    return (row.funding_mode, row.limit_micros) if row is not None else None


def mark_applied(connection: Connection, account_id: str, day: dt.date) -> None:
    t = tables.funding_modes
    connection.execute(
        t.update()
        .where(t.c.account_id == account_id, t.c.effective_date == day.isoformat())
        .values(applied=True)
    )
