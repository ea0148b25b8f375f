"""Users' access is announced under versions from the gateway's clock: nanoseconds since the
epoch from its milliseconds, strictly increasing, so changes within one millisecond keep their
order."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from billing.common.v1 import outbox_pb2
from billing.gateway.v1 import events_pb2

from services.common.clock import SteppedClock
from services.common.config import Env
from services.gateway.adapters import tables
from services.gateway.bootstrap import open_store
from services.gateway.service.user_access import NS_PER_MS, UserAccess

START_MS = 1_800_000_000_000


def test_versions_follow_the_clock_and_keep_the_order_within_a_millisecond(
    tmp_path: Path,
) -> None:
    engine, units = open_store(Env({"DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}"}))
    clock = SteppedClock(start_ms=START_MS)
    access = UserAccess(units, clock)
    try:
        access.changed("usr_ana", "acme")
        access.changed("usr_ana", "acme")
        clock.step(5)
        access.changed("usr_ana", "acme")
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(tables.outbox.c.events).order_by(tables.outbox.c.id)
            ).scalars()
            changes = [
                events_pb2.UserAccessChanged.FromString(item.event)
                for row in rows
                for item in outbox_pb2.OutboxBatch.FromString(row).events
            ]
    finally:
        engine.dispose()
    assert [change.version for change in changes] == [
        START_MS * NS_PER_MS,
        START_MS * NS_PER_MS + 1,
        (START_MS + 5) * NS_PER_MS,
    ]
    assert changes[-1].occur_time.ToMilliseconds() == START_MS + 5
    assert all(change.removed for change in changes)  # no such membership: announced as gone
