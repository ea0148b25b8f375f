"""Users' access is announced under versions from the gateway's clock: its nanoseconds since the
epoch, strictly increasing, so changes within one millisecond keep their order, in one gateway
and across gateways."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from billing.common.v1 import outbox_pb2
from billing.gateway.v1 import events_pb2

from services.common.clock import NS_PER_MS, SteppedClock
from services.common.config import Env
from services.gateway.adapters import tables
from services.gateway.bootstrap import open_store
from services.gateway.service.ports.store import UnitsOfWork
from services.gateway.service.user_access import UserAccess

START_MS = 1_800_000_000_000


def announced(engine: sa.Engine) -> list[events_pb2.UserAccessChanged]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.outbox.c.events).order_by(tables.outbox.c.id)
        ).scalars()
        return [
            events_pb2.UserAccessChanged.FromString(item.event)
            for row in rows
            for item in outbox_pb2.OutboxBatch.FromString(row).events
        ]


def store(tmp_path: Path) -> tuple[sa.Engine, UnitsOfWork]:
    return open_store(Env({"DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}"}))


def test_versions_follow_the_clock_and_keep_the_order_within_a_millisecond(
    tmp_path: Path,
) -> None:
    engine, units = store(tmp_path)
    clock = SteppedClock(start_ms=START_MS)
    access = UserAccess(units, clock)
    try:
        access.changed("usr_ana", "acme")
        access.changed("usr_ana", "acme")
        clock.step(5)
        access.changed("usr_ana", "acme")
        changes = announced(engine)
    finally:
        engine.dispose()
    assert [change.version for change in changes] == [
        START_MS * NS_PER_MS,
        START_MS * NS_PER_MS + 1,
        (START_MS + 5) * NS_PER_MS,
    ]
    assert changes[-1].occur_time.ToMilliseconds() == START_MS + 5
    assert all(change.removed for change in changes)  # no such membership: announced as gone


def test_two_gateways_within_one_millisecond_are_ordered_by_their_nanoseconds(
    tmp_path: Path,
) -> None:
    engine, units = store(tmp_path)
    # Two gateway processes, each on its own clock, reading the same millisecond.
    first_clock = SteppedClock(start_ns=START_MS * NS_PER_MS + 250_000)
    second_clock = SteppedClock(start_ns=START_MS * NS_PER_MS + 250_400)
    first, second = UserAccess(units, first_clock), UserAccess(units, second_clock)
    try:
        first.changed("usr_ana", "acme")
        second_clock.step_ns(300_000)
        second.changed("usr_ana", "acme")
        changes = announced(engine)
    finally:
        engine.dispose()
    assert first_clock.now_ms() == second_clock.now_ms() == START_MS
    earlier, later = (change.version for change in changes)
    assert later == START_MS * NS_PER_MS + 550_400
    assert earlier == START_MS * NS_PER_MS + 250_000
    assert later > earlier  # the reader keeps the newest version: the later change
