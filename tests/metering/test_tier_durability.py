"""Volume-tier counts stay exact with two metering processes, across a crash mid-batch, and when
another batch stores a message first."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import grpc
import redis
import sqlalchemy as sa
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as pb
from billing.metering.v1 import metering_service_pb2_grpc as pb_grpc

from services.common.config import Env
from services.common.grpc_server import RunningServer
from services.metering.bootstrap import wire
from tests.harness.credentials import trusted_channel
from tests.harness.postgres import PostgresCluster
from tests.harness.services import ServiceProcess, server_settings, wait_serving
from tests.metering.conftest import Running, write_rate_cards
from tests.metering.helpers import charges, profile, publish_account, status
from tests.metering.test_tiers import KENYA, SMALL_TIERS

DAY = "2026-11-03T10:"
THREADS_PER_PROCESS = 2
BATCHES_PER_THREAD = 5
BATCH_MESSAGES = 6
WAIT_S = 30.0


def utility(account: str, message_id: str, second: int) -> events_pb2.MessageEvent:
    at = f"{DAY}{second // 60:02d}:{second % 60:02d}+00:00"
    return status(account, message_id, "delivered", at, contact=KENYA, category="utility")


def test_two_processes_give_each_message_its_own_place(
    start_metering: Callable[..., Running], tmp_path: Path
) -> None:
    cards = write_rate_cards(tmp_path / "cards", {"tiers_USD_2026-10-01.csv": SMALL_TIERS})
    first, second = start_metering(rate_cards=cards), start_metering(rate_cards=cards)
    first.add_account("acc-1", profile("acct-c1", portfolio_id="pf-c"))
    first.add_account("acc-2", profile("acct-c2", portfolio_id="pf-c"))
    errors: list[BaseException] = []

    def send(metering: Running, account: str, thread: int) -> None:
        try:
            for batch in range(BATCHES_PER_THREAD):
                events = [
                    utility(account, f"{account}-{thread}-{batch}-{n}", batch * 10 + n)
                    for n in range(BATCH_MESSAGES)
                ]
                answer = metering.stub.RecordEvents(
                    pb.RecordEventsRequest(events=events), timeout=WAIT_S
                )
                assert answer.accepted_count == BATCH_MESSAGES
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=send, args=(metering, account, n))
        for metering, account in ((first, "acct-c1"), (second, "acct-c2"))
        for n in range(THREADS_PER_PROCESS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    first.wired.relay.drain()
    second.wired.relay.drain()
    total = 2 * THREADS_PER_PROCESS * BATCHES_PER_THREAD * BATCH_MESSAGES
    settled = charges(first.redis)
    assert len({c.message_id for c in settled}) == len(settled) == total
    # Places 1-3 at tier 1, 4-5 at tier 2, the rest at tier 3: no place given twice.
    assert Counter(c.tier for c in settled) == {1: 3, 2: 2, 3: total - 5}


def test_kill_9_between_counting_and_commit_counts_nothing(
    postgres: PostgresCluster, redis_url: str, tmp_path: Path
) -> None:
    database_url = postgres.create_database()
    cards = write_rate_cards(tmp_path / "cards", {"tiers_USD_2026-10-01.csv": SMALL_TIERS})
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "METERING_RATE_CARDS_DIR": str(cards),
        "METERING_CONSUMER_NAME": "crash-test",
        "LOG_LEVEL": "WARNING",
    }
    client = redis.Redis.from_url(redis_url)
    publish_account(client, "acc-k", profile("acct-k", portfolio_id="pf-k"))
    engine = sa.create_engine(database_url)
    crashed = [utility("acct-k", f"k-{n}", n) for n in (3, 4, 5)]
    service = ServiceProcess("metering", env, tmp_path).start()
    try:
        _wait_for(lambda: _has_account(engine, "acct-k"), "the account reached metering")
        with trusted_channel(service.address) as channel:
            stub = pb_grpc.MeteringServiceStub(channel)
            first = [utility("acct-k", f"k-{n}", n) for n in (1, 2)]
            stub.RecordEvents(pb.RecordEventsRequest(events=first), timeout=WAIT_S)
            with engine.connect() as blocker:
                # Hold the outbox, written last: the batch counts its messages, then waits.
                blocker.execute(sa.text("LOCK TABLE metering_outbox_batches IN EXCLUSIVE MODE"))
                pending = stub.RecordEvents.future(
                    pb.RecordEventsRequest(events=crashed), timeout=WAIT_S
                )
                _wait_for(lambda: _waiting_on_outbox(engine), "the batch waits on the outbox")
                service.kill()
                blocker.rollback()
            assert isinstance(pending.exception(timeout=WAIT_S), grpc.RpcError)
    finally:
        service.kill()
    service = ServiceProcess("metering", env, tmp_path).start()
    try:
        with trusted_channel(service.address) as channel:
            stub = pb_grpc.MeteringServiceStub(channel)
            redelivered = stub.RecordEvents(
                pb.RecordEventsRequest(events=[*crashed, utility("acct-k", "k-6", 6)]),
                timeout=WAIT_S,
            )
            assert redelivered.accepted_count == 4
        _wait_for(lambda: len(charges(client)) >= 6, "six charges published")
    finally:
        service.terminate()
        engine.dispose()
    assert [(c.message_id, c.amount.amount_micros, c.tier) for c in charges(client)] == [
        ("k-1", 4_000, 1),
        ("k-2", 4_000, 1),
        ("k-3", 4_000, 1),
        ("k-4", 3_800, 2),
        ("k-5", 3_800, 2),
        ("k-6", 3_600, 3),
    ]


def test_a_message_another_batch_stored_first_is_settled_once(
    postgres: PostgresCluster, redis_url: str, tmp_path: Path
) -> None:
    database_url = postgres.create_database()
    cards = write_rate_cards(tmp_path / "cards", {"tiers_USD_2026-10-01.csv": SMALL_TIERS})
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "METERING_RATE_CARDS_DIR": str(cards),
        "METERING_WORKERS_ENABLED": "false",
    }
    wired = wire(Env(env))
    server = RunningServer("metering", server_settings(max_workers=8, grace_seconds=2), wired.app)
    server.start()
    engine = sa.create_engine(database_url)
    client = redis.Redis.from_url(redis_url)
    try:
        wait_serving(f"127.0.0.1:{server.port}")
        publish_account(client, "acc-r", profile("acct-r", portfolio_id="pf-r"))
        wired.accounts_consumer.drain()
        with trusted_channel(f"127.0.0.1:{server.port}") as channel:
            stub = pb_grpc.MeteringServiceStub(channel)
            delivered = utility("acct-r", "m-1", 1)
            read = status("acct-r", "m-1", "read", f"{DAY}00:02+00:00", contact=KENYA,
                          category="utility")  # fmt: skip
            with engine.connect() as blocker:
                blocker.execute(sa.text("LOCK TABLE metering_outbox_batches IN EXCLUSIVE MODE"))
                first = stub.RecordEvents.future(
                    pb.RecordEventsRequest(events=[delivered]), timeout=WAIT_S
                )
                _wait_for(lambda: _waiting(engine) == 1, "the first batch waits on the outbox")
                # The second batch cannot see m-1 yet: it takes it for new, and waits.
                second = stub.RecordEvents.future(
                    pb.RecordEventsRequest(events=[read]), timeout=WAIT_S
                )
                _wait_for(lambda: _waiting(engine) == 2, "the second batch waits too")
                blocker.rollback()
            assert first.result().accepted_count == 1
            assert second.result().accepted_count == 1
            later = [utility("acct-r", f"k-{n}", n) for n in (2, 3, 4)]
            stub.RecordEvents(pb.RecordEventsRequest(events=later), timeout=WAIT_S)
        wired.relay.drain()
    finally:
        server.stop()
        engine.dispose()
    assert [(c.message_id, c.tier) for c in charges(client)] == [
        ("m-1", 1),  # settled once, counted once
        ("k-2", 1),
        ("k-3", 1),
        ("k-4", 2),
    ]


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not seen in {WAIT_S} s: {what}")
        time.sleep(0.05)


def _has_account(engine: sa.Engine, account_id: str) -> bool:
    with engine.connect() as connection:
        query = sa.text("SELECT 1 FROM metering_accounts WHERE account_id = :a")
        return connection.execute(query, {"a": account_id}).first() is not None


def _waiting(engine: sa.Engine) -> int:
    """Sessions of metering waiting on a lock."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _waiting_on_outbox(engine: sa.Engine) -> bool:
    query = sa.text(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE 'INSERT INTO metering_outbox_batches%'"
    )
    with engine.connect() as connection:
        return connection.execute(query).first() is not None
