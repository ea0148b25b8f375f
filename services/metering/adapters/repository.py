"""Reads and writes of metering's tables inside the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from billing.wallet.v1 import account_pb2
from sqlalchemy.engine import Connection

from services.common import outbox
from services.metering.adapters import tables
from services.metering.adapters.outbox_events import outbox_event
from services.metering.adapters.profiles import account_from_profile
from services.metering.adapters.sql import (
    add_to_counters,
    insert_absent,
    keep_least,
    or_into_mask,
    upsert,
)
from services.metering.domain.accounts import Account
from services.metering.domain.events import INBOUND, MessageEvent
from services.metering.domain.messages import MessageState
from services.metering.service.published import Published

Pair = tuple[str, str]  # (channel_id, contact)
MESSAGE_STATE_COLUMNS = (
    "channel_id",
    "contact",
    "first_us",
    "chat_id",
    "session_id",
    "is_template",
    "category",
    "reservation_id",
    "meta_pricing",
    "notified",
    "action",
)
SETTLEMENT_COLUMNS = (
    "settle_us",
    "market",
    "charged_category",
    "pricing_model",
    "billable",
    "price_micros",
    "meta_cost_micros",
    "tier",
    "tier_key",
    "tier_position",
    "plan_key",
)


def load_accounts(connection: Connection, account_ids: Iterable[str]) -> dict[str, Account]:
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = connection.execute(
        sa.select(tables.accounts.c.account_id, tables.accounts.c.profile).where(
            tables.accounts.c.account_id.in_(ids)
        )
    ).all()
    return {
        row.account_id: account_from_profile(account_pb2.AccountProfile.FromString(row.profile))
        for row in rows
    }


def insert_events(
    connection: Connection, events: Sequence[MessageEvent], local_dates: Mapping[int, str]
) -> set[tuple[str, str, str]]:
    """Insert events not stored yet; the keys (account, message, status) that were new."""
    rows = [
        {
            "account_id": e.account_id,
            "message_id": e.message_id,
            "status": e.status,
            "event_id": e.event_id,
            "channel_id": e.channel_id,
            "contact": e.contact,
            "occur_us": e.occur_us,
            "local_date": local_dates[e.index],
            "is_template": e.is_template,
            "referral": e.referral,
            "chat_id": e.chat_id,
            "session_id": e.session_id,
            "payload": e.payload,
        }
        for e in sorted(events, key=lambda e: e.key)
    ]
    inserted = insert_absent(
        connection, tables.events, rows, returning=("account_id", "message_id", "status")
    )
    return {(row.account_id, row.message_id, row.status) for row in inserted}


def lock_messages(
    connection: Connection, events: Sequence[MessageEvent]
) -> dict[tuple[str, str], MessageState]:
    """The state of each message these events are about, created if new, locked till commit."""
    first: dict[tuple[str, str], MessageEvent] = {}
    for e in sorted(events, key=lambda e: e.occur_us):
        first.setdefault((e.account_id, e.message_id), e)
    rows = [
        {
            "account_id": key[0],
            "message_id": key[1],
            "channel_id": e.channel_id,
            "contact": e.contact,
            "first_us": e.occur_us,
        }
        for key, e in sorted(first.items())
    ]
    found = upsert(
        connection, tables.messages, rows, (), ("account_id", "message_id", *MESSAGE_STATE_COLUMNS)
    )
    states: dict[tuple[str, str], MessageState] = {}
    for row in found:
        values = {name: getattr(row, name) for name in MESSAGE_STATE_COLUMNS}
        key = (row.account_id, row.message_id)
        states[key] = MessageState(account_id=key[0], message_id=key[1], **values)
    return states


def update_messages(
    connection: Connection,
    states: Iterable[MessageState],
    settlements: Mapping[tuple[str, str], Mapping[str, Any]],
) -> None:
    """Write changed message states; settled ones with their charge columns."""
    plain: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []
    for state in sorted(states, key=lambda s: (s.account_id, s.message_id)):
        if not state.changed:
            continue
        row = {name: getattr(state, name) for name in MESSAGE_STATE_COLUMNS}
        row.update(account_id=state.account_id, message_id=state.message_id)
        charge = settlements.get((state.account_id, state.message_id))
        if charge is None:
            plain.append(row)
        else:
            settled.append({**row, **{name: charge[name] for name in SETTLEMENT_COLUMNS}})
    upsert(connection, tables.messages, plain, MESSAGE_STATE_COLUMNS)
    upsert(connection, tables.messages, settled, (*MESSAGE_STATE_COLUMNS, *SETTLEMENT_COLUMNS))


def inbound_times(
    connection: Connection, account_id: str, pairs: Iterable[Pair], lower_us: int, upper_us: int
) -> dict[Pair, list[tuple[int, bool]]]:
    """Inbound messages (time, came from an ad/Page) per (channel, contact) in a time range."""
    keys = sorted(set(pairs))
    if not keys:
        return {}
    t = tables.events
    query = sa.select(t.c.channel_id, t.c.contact, t.c.occur_us, t.c.referral).where(
        t.c.account_id == account_id,
        t.c.status == INBOUND,
        sa.tuple_(t.c.channel_id, t.c.contact).in_(keys),
        t.c.occur_us >= lower_us,
        t.c.occur_us <= upper_us,
    )
    found: dict[Pair, list[tuple[int, bool]]] = defaultdict(list)
    for row in connection.execute(query):
        found[(row.channel_id, row.contact)].append((row.occur_us, row.referral))
    return found


def open_conversations(
    connection: Connection, account_id: str, pairs: Iterable[Pair], lower_us: int, upper_us: int
) -> dict[Pair, list[tuple[str, int, int]]]:
    """Conversations (category, open, expire) per (channel, contact) overlapping a range."""
    keys = sorted(set(pairs))
    if not keys:
        return {}
    t = tables.conversations
    query = sa.select(t.c.channel_id, t.c.contact, t.c.category, t.c.open_us, t.c.expire_us).where(
        t.c.account_id == account_id,
        sa.tuple_(t.c.channel_id, t.c.contact).in_(keys),
        t.c.expire_us > lower_us,
        t.c.open_us <= upper_us,
    )
    found: dict[Pair, list[tuple[str, int, int]]] = defaultdict(list)
    for row in connection.execute(query):
        found[(row.channel_id, row.contact)].append((row.category, row.open_us, row.expire_us))
    return found


def insert_conversations(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert conversations not known yet; their ids."""
    ordered = sorted(rows, key=lambda r: (r["account_id"], r["conversation_id"]))
    inserted = insert_absent(
        connection, tables.conversations, ordered, returning=("account_id", "conversation_id")
    )
    return {row.conversation_id for row in inserted}


def record_first_days(connection: Connection, firsts: Mapping[tuple[str, str, str], str]) -> None:
    """Each contact's first active day: recorded if new, moved earlier if this one is earlier."""
    rows = [
        {"account_id": a, "channel_id": c, "contact": n, "first_date": day}
        for (a, c, n), day in sorted(firsts.items())
    ]
    keep_least(connection, tables.contacts, rows, "first_date")


def mark_active(connection: Connection, masks: Mapping[tuple[str, str, str, str], int]) -> None:
    rows = [
        {"account_id": a, "channel_id": c, "month": m, "contact": n, "days_mask": mask}
        for (a, c, m, n), mask in sorted(masks.items())
    ]
    or_into_mask(connection, tables.active_months, rows, "days_mask")


def add_daily_usage(
    connection: Connection, counters: Mapping[tuple[str, str, str, str], Mapping[str, int]]
) -> None:
    rows = []
    for (account_id, channel_id, day, category), values in sorted(counters.items()):
        row: dict[str, Any] = dict.fromkeys(tables.COUNTER_COLUMNS, 0)
        row.update(values)
        row.update(account_id=account_id, channel_id=channel_id, local_date=day, category=category)
        rows.append(row)
    add_to_counters(connection, tables.daily_usage, rows, tables.COUNTER_COLUMNS)


def add_outbox(connection: Connection, events: Sequence[Published]) -> None:
    """The batch's events to publish, in one row."""
    outbox.add(connection, tables.outbox, [outbox_event(e) for e in events])


def take_places(connection: Connection, counts: Mapping[str, int]) -> dict[str, int]:
    """Add `counts[key]` to each counter; the 0-based place where each batch's share starts.

    The counter rows stay locked until the transaction ends (taken in key order, so batches
    never wait on each other in a cycle); a rolled-back batch gives its places back with it.
    """
    rows = [{"counter_key": key, "message_count": n} for key, n in sorted(counts.items())]
    totals = add_to_counters(connection, tables.counters, rows, ("message_count",), returning=True)
    return {row.counter_key: int(row.message_count) - counts[row.counter_key] for row in totals}
