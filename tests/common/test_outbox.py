"""The outbox relay on real SQL and a real redis-server: rows stay until every declared group
has acknowledged them, streams are trimmed only that far, and a stream lost with Redis's data
is published again."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import sqlalchemy as sa
from billing.common.v1 import operations_pb2

from services.common import db, event_streams, outbox
from services.common.outbox import OutboxRelay
from services.common.streams import GroupReader

STREAM = event_streams.METERING_CHARGES.name  # declared as read by the group "wallet"
GROUP = "wallet"


@pytest.fixture
def table(database_url: str) -> tuple[sa.Engine, sa.Table]:
    metadata = sa.MetaData()
    table = outbox.outbox_table(metadata, "test_outbox")
    engine = db.create_engine(database_url)
    metadata.create_all(engine)
    return engine, table


def write(engine: sa.Engine, table: sa.Table, *event_ids: str) -> None:
    with engine.begin() as connection:
        message = operations_pb2.OperationsAlert(summary="x")
        outbox.add(connection, table, [outbox.event(STREAM, e, message) for e in event_ids])


def rows(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def read_ids(reader: GroupReader, count: int = 100) -> list[bytes]:
    return [fields[b"event_id"] for _id, fields in reader.read(count)]


def test_rows_stay_until_the_declared_group_acknowledged_them(
    table: tuple[sa.Engine, sa.Table], redis_url: str
) -> None:
    engine, t = table
    client: Any = redis.Redis.from_url(redis_url)
    relay = OutboxRelay(engine, t, client)
    write(engine, t, "e-1", "e-2")
    write(engine, t, "e-3")
    assert relay.drain() == 3
    relay.settle()
    assert rows(engine, t) == 2  # published, not yet read
    assert client.xlen(STREAM) == 3

    reader = GroupReader(client, STREAM, GROUP, "c-1")
    entries = reader.read(2)
    reader.ack([entry_id for entry_id, _ in entries])
    relay.settle()
    assert rows(engine, t) == 1  # the first transaction's two events were acknowledged
    assert [fields[b"event_id"] for _, fields in client.xrange(STREAM)] == [b"e-3"]


def test_a_stream_lost_with_redis_is_published_again(
    table: tuple[sa.Engine, sa.Table], redis_url: str
) -> None:
    engine, t = table
    client: Any = redis.Redis.from_url(redis_url)
    relay = OutboxRelay(engine, t, client)
    write(engine, t, "e-1")
    write(engine, t, "e-2")
    relay.drain()
    reader = GroupReader(client, STREAM, GROUP, "c-1")
    first = reader.read(1)
    reader.ack([entry_id for entry_id, _ in first])
    relay.settle()
    client.flushall()  # e-2 was never read: lost with the data
    relay.settle()
    relay.drain()
    assert read_ids(reader) == [b"e-2"]
