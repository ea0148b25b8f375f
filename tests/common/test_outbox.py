"""The outbox relay on real SQL and a real redis-server: rows stay until every declared group
has acknowledged them, streams are trimmed only that far, and a stream lost with Redis's data
is published again."""

from __future__ import annotations

import threading
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


def test_trimming_never_drops_an_entry_read_but_not_acknowledged(
    table: tuple[sa.Engine, sa.Table], redis_url: str
) -> None:
    engine, t = table
    client: Any = redis.Redis.from_url(redis_url)
    relay = OutboxRelay(engine, t, client)
    for event_id in ("e-1", "e-2", "e-3"):
        write(engine, t, event_id)
    relay.drain()
    reader = GroupReader(client, STREAM, GROUP, "c-1")
    (first_id, _), (second_id, _) = reader.read(2)
    reader.ack([second_id])  # e-1 is still being handled (or its consumer died)
    relay.settle()
    # Nothing is trimmed past the oldest entry still pending, whatever came after it.
    assert read_ids_in(client) == [b"e-1", b"e-2", b"e-3"]
    assert rows(engine, t) == 3
    reader.ack([first_id])
    relay.settle()
    assert read_ids_in(client) == [b"e-3"]  # e-3 was never read: it stays too
    assert rows(engine, t) == 1


def read_ids_in(client: Any) -> list[bytes]:
    return [fields[b"event_id"] for _, fields in client.xrange(STREAM)]


def test_relays_side_by_side_never_publish_the_same_row(
    table: tuple[sa.Engine, sa.Table], redis_url: str
) -> None:
    engine, t = table
    client: Any = redis.Redis.from_url(redis_url)
    total = 120
    for n in range(total):
        write(engine, t, f"e-{n}")
    relays = [OutboxRelay(engine, t, client, rows=5) for _ in range(3)]
    published: list[int] = []
    start = threading.Barrier(len(relays))

    def run(relay: OutboxRelay) -> None:
        start.wait()
        published.append(relay.drain())

    threads = [threading.Thread(target=run, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = read_ids_in(client)
    assert sum(published) == total
    assert len(ids) == total and len(set(ids)) == total


def test_an_event_for_a_stream_nobody_declared_is_refused() -> None:
    with pytest.raises(ValueError, match="not declared"):
        outbox.event("billing.nobody.reads", "e-1", operations_pb2.OperationsAlert())
