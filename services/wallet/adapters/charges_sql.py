"""Message charges in SQL: recorded once per (account, message), then applied, then posted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from services.wallet.adapters import tables
from services.wallet.service.ports.settlement import Charge, Key

__all__ = ["Charge", "Key"]

RECORDED, APPLIED, POSTED = "recorded", "applied", "posted"


def _of(row: Any) -> Charge:
    return Charge(
        row.account_id,
        row.message_id,
        row.event_id,
        row.channel_id,
        row.reservation_id,
        row.currency_code,
        row.amount_micros,
        row.occur_ms,
    )


def record(connection: Connection, charges: Sequence[Charge], now_ms: int) -> list[Charge]:
    """Insert the charges not seen before; returns those of `charges` still to apply (new, or
    recorded earlier and not applied yet), as first recorded."""
    if not charges:
        return []
    t = tables.charges
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(t)
    rows = [
        {
            "account_id": c.account_id,
            "message_id": c.message_id,
            "event_id": c.event_id,
            "channel_id": c.channel_id,
            "reservation_id": c.reservation_id,
            "currency_code": c.currency,
            "amount_micros": c.amount_micros,
            "occur_ms": c.occur_ms,
            "state": RECORDED,
            "created_ms": now_ms,
            "updated_ms": now_ms,
        }
        for c in {c.key: c for c in charges}.values()
    ]
    connection.execute(insert.on_conflict_do_nothing(), rows)
    keys = [c.key for c in charges]
    found = connection.execute(
        sa.select(t).where(
            sa.tuple_(t.c.account_id, t.c.message_id).in_(keys), t.c.state == RECORDED
        )
    ).all()
    return [_of(row) for row in found]


def mark_applied(connection: Connection, applied: Iterable[Charge], now_ms: int) -> None:
    """Recorded -> applied, with the reservation that paid and when (the projector may have
    marked it posted already: that state stays)."""
    t = tables.charges
    params = [
        {"a": c.account_id, "m": c.message_id, "r": c.reservation_id, "now": now_ms}
        for c in applied
    ]
    if params:
        connection.execute(
            t.update()
            .where(
                t.c.account_id == sa.bindparam("a"),
                t.c.message_id == sa.bindparam("m"),
                t.c.applied_ms.is_(None),
            )
            .values(
                state=sa.case((t.c.state == RECORDED, APPLIED), else_=t.c.state),
                reservation_id=sa.bindparam("r"),
                updated_ms=sa.bindparam("now"),
                applied_ms=sa.bindparam("now"),
            ),
            params,
        )


def mark_posted(connection: Connection, keys: Iterable[Key], now_ms: int) -> None:
    """The ledger entries that end these charges are in SQL."""
    wanted = sorted(set(keys))
    if wanted:
        t = tables.charges
        connection.execute(
            t.update()
            .where(sa.tuple_(t.c.account_id, t.c.message_id).in_(wanted), t.c.state != POSTED)
            .values(state=POSTED, updated_ms=now_ms)
        )


def recorded_before(connection: Connection, cutoff_ms: int, limit: int) -> list[Charge]:
    t = tables.charges
    rows = connection.execute(
        sa.select(t)
        .where(t.c.state == RECORDED, t.c.updated_ms <= cutoff_ms)
        .order_by(t.c.updated_ms)
        .limit(limit)
    ).all()
    return [_of(row) for row in rows]


def unposted(connection: Connection, account_ids: Sequence[str]) -> list[Charge]:
    """Charges applied to Redis whose ledger entries never reached SQL (lost with Redis)."""
    t = tables.charges
    rows = connection.execute(
        sa.select(t).where(t.c.account_id.in_(account_ids), t.c.state == APPLIED)
    ).all()
    return [_of(row) for row in rows]


def record_again(connection: Connection, charges: Iterable[Charge], now_ms: int) -> None:
    """Applied -> recorded: to be applied again once the hot state is rebuilt."""
    t = tables.charges
    keys = [c.key for c in charges]
    if keys:
        connection.execute(
            t.update()
            .where(sa.tuple_(t.c.account_id, t.c.message_id).in_(keys), t.c.state == APPLIED)
            .values(state=RECORDED, updated_ms=now_ms, applied_ms=None)
        )


def reservations_of(connection: Connection, keys: Sequence[Key]) -> dict[Key, str]:
    """The reservation each (account, message) was authorised with, as SQL recorded it."""
    r = tables.reservations.c
    rows = connection.execute(
        sa.select(r.account_id, r.message_id, r.reservation_id).where(
            sa.tuple_(r.account_id, r.message_id).in_(list(keys))
        )
    ).all()
    return {(row.account_id, row.message_id): row.reservation_id for row in rows}
