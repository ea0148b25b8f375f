"""Expiring streams on a real redis-server (and the outbox on real SQL): an entry waits for its
readers up to the retention, never longer; entries trimmed unread are counted and logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from billing.common.v1 import operations_pb2

from services.common import db, event_streams, metrics, outbox
from services.common.background import OperationsAlerts
from services.common.clock import SteppedClock
from services.common.config import ConfigError, Env
from services.common.outbox import OutboxRelay
from services.common.streams import DAY_MS, GroupReader, Retention

ALERTS = event_streams.OPERATIONS_ALERTS
RETENTION = Retention(2 * DAY_MS)


@dataclass
class Counted:
    added: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def add(self, amount: int, attributes: dict[str, str]) -> None:
        self.added.append((amount, attributes))


@dataclass
class Recorded:
    stream_expired: Counted = field(default_factory=Counted)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    instruments = Recorded()
    monkeypatch.setattr(metrics, "instruments", lambda: instruments)
    return instruments


@pytest.fixture
def client(redis_url: str) -> Any:
    return redis.Redis.from_url(redis_url)


def kinds(client: Any) -> list[str]:
    return [
        operations_pb2.OperationsAlert.FromString(fields[b"event"]).kind
        for _, fields in client.xrange(ALERTS.name)
    ]


def test_the_writer_declares_the_readers_so_alerts_wait_for_them(client: Any) -> None:
    OperationsAlerts(client, "tests").publish("first", "one")
    groups = {info["name"] for info in client.xinfo_groups(ALERTS.name)}
    assert groups == {group.encode() for group in ALERTS.groups}


def written(client: Any, kind: str, age_ms: int, now_ms: int) -> bytes:
    """An alert as a service wrote it `age_ms` ago (entry ids carry the time they were added)."""
    alert = operations_pb2.OperationsAlert(alert_id=kind, kind=kind)
    entry_id: bytes = client.xadd(
        ALERTS.name, {"event": alert.SerializeToString()}, id=f"{now_ms - age_ms}-0"
    )
    return entry_id


def test_alerts_older_than_the_retention_are_trimmed_unread_counted_and_logged(
    client: Any, recorded: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    clock = SteppedClock()
    now_ms, retention_ms = clock.now_ms(), RETENTION.max_age_ms
    written(client, "old-1", retention_ms + 60_000, now_ms)
    written(client, "old-2", retention_ms + 1, now_ms)
    written(client, "young", retention_ms - 60_000, now_ms)
    with caplog.at_level(logging.ERROR, logger="services.common.streams"):
        OperationsAlerts(client, "tests", RETENTION, clock).publish("new", "four")
    assert kinds(client) == ["young", "new"]  # only what is older than the bound went
    assert recorded.stream_expired.added == [(2, {"stream": ALERTS.name})]
    [line] = [r for r in caplog.records if r.name == "services.common.streams"]
    assert "trimmed unread" in line.getMessage() and line.__dict__["entries"] == 2


def test_acknowledged_alerts_are_trimmed_without_counting_them_expired(
    client: Any, recorded: Recorded
) -> None:
    clock = SteppedClock()
    now_ms, old_ms = clock.now_ms(), RETENTION.max_age_ms + 60_000
    [reader] = [GroupReader(client, ALERTS.name, group, "n-1") for group in ALERTS.groups]
    reader.read(1)  # the group reads from the start
    written(client, "read", old_ms + 1, now_ms)
    written(client, "unread", old_ms, now_ms)
    reader.ack([reader.read(1)[0][0]])
    OperationsAlerts(client, "tests", RETENTION, clock).publish("new", "three")
    assert kinds(client) == ["new"]
    assert recorded.stream_expired.added == [(1, {"stream": ALERTS.name})]  # "unread" only
    [(_id, fields)] = reader.read(10)  # the reader goes on with what is left
    assert operations_pb2.OperationsAlert.FromString(fields[b"event"]).kind == "new"


def test_a_reader_holding_an_expired_entry_lets_it_go(client: Any, recorded: Recorded) -> None:
    clock = SteppedClock()
    [reader] = [GroupReader(client, ALERTS.name, group, "n-1") for group in ALERTS.groups]
    reader.read(1)
    written(client, "taken", RETENTION.max_age_ms + 60_000, clock.now_ms())
    [(taken_id, _)] = reader.read(1)  # read, not acknowledged: its consumer died
    OperationsAlerts(client, "tests", RETENTION, clock).publish("new", "two")
    assert reader.claim([taken_id], 0) == []  # trimmed meanwhile: acknowledged, not handled
    assert client.xpending(ALERTS.name, ALERTS.groups[0])["pending"] == 0
    assert recorded.stream_expired.added == [(1, {"stream": ALERTS.name})]


def test_the_retention_is_read_in_days() -> None:
    assert Retention.from_env(Env({})).max_age_ms == 7 * DAY_MS
    assert Retention.from_env(Env({"STREAM_RETENTION_DAYS": "30"})).max_age_ms == 30 * DAY_MS
    with pytest.raises(ConfigError, match="STREAM_RETENTION_DAYS"):
        Retention.from_env(Env({"STREAM_RETENTION_DAYS": "0"}))


def test_every_stream_either_expires_or_carries_money_or_state() -> None:
    expiring = {stream.name for stream in event_streams.ALL if stream.expires}
    assert expiring == {
        "billing.operations.alerts",
        "billing.wallet.alerts",
        "billing.gateway.sign-ins",
    }


@pytest.fixture
def table(database_url: str) -> tuple[sa.Engine, sa.Table]:
    metadata = sa.MetaData()
    table = outbox.outbox_table(metadata, "test_outbox")
    engine = db.create_engine(database_url)
    metadata.create_all(engine)
    return engine, table


def write(engine: sa.Engine, table: sa.Table, stream: str, event_id: str) -> None:
    with engine.begin() as connection:
        message = operations_pb2.OperationsAlert(summary="x")
        outbox.add(connection, table, [outbox.event(stream, event_id, message)])


def rows(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_the_outbox_lets_expired_notices_go_and_keeps_money_waiting(
    table: tuple[sa.Engine, sa.Table], client: Any, recorded: Recorded
) -> None:
    engine, t = table
    clock = SteppedClock()
    relay = OutboxRelay(engine, t, client, retention=RETENTION, clock=clock)
    notices, charges = event_streams.WALLET_ALERTS.name, event_streams.METERING_CHARGES.name
    write(engine, t, notices, "notice-1")
    write(engine, t, charges, "charge-1")
    relay.drain()
    relay.settle()
    assert rows(engine, t) == 2
    clock.step(RETENTION.max_age_ms + 1_000)
    relay.settle()
    assert client.xlen(notices) == 0 and client.xlen(charges) == 1
    assert rows(engine, t) == 1  # the charge waits for the wallet, however long
    assert recorded.stream_expired.added == [(1, {"stream": notices})]
