"""Accounts from the wallet's stream; background workers relaying events end to end."""

from __future__ import annotations

import time
from collections.abc import Callable

from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as pb
from billing.wallet.v1 import account_pb2

from services.common import dead_letters
from tests.metering.conftest import DEADLINE_S, Running
from tests.metering.helpers import charges, profile, publish_account, status

WAIT_S = 15.0


def notifications_by_day(metering: Running, account: str) -> dict[str, int]:
    days = metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(account_id=account, from_date="2026-03-10", to_date="2026-03-11"),
        timeout=10,
    ).days
    return {d.date: d.notifications_sent for d in days if d.notifications_sent}


def test_the_latest_account_update_wins_and_event_ids_apply_once(metering: Running) -> None:
    publish_account(metering.redis, "e-1", profile("acct-z", update="2026-01-01T00:00:00+00:00"))
    publish_account(
        metering.redis,
        "e-2",
        profile("acct-z", time_zone="Asia/Kolkata", update="2026-02-01T00:00:00+00:00"),
    )
    publish_account(
        metering.redis,
        "e-0",
        profile("acct-z", time_zone="America/New_York", update="2025-12-01T00:00:00+00:00"),
    )
    publish_account(  # the same event again, as a redelivery with other content must not apply
        metering.redis,
        "e-2",
        profile("acct-z", time_zone="Pacific/Pago_Pago", update="2026-03-01T00:00:00+00:00"),
    )
    broken = account_pb2.AccountChanged(
        event_id="e-bad", profile=profile("acct-z", time_zone="Mars/Base")
    )
    metering.redis.xadd(
        "billing.wallet.accounts",
        {"event": broken.SerializeToString(), "type": broken.DESCRIPTOR.full_name},
    )
    metering.wired.accounts_consumer.drain()
    metering.record(status("acct-z", "m-1", "sent", "2026-03-10T20:00:00+00:00"))
    assert notifications_by_day(metering, "acct-z") == {"2026-03-11": 1}  # 01:30 in Kolkata
    # The broken event is retried, then set aside as a dead letter: nothing is dropped.
    deadline = time.monotonic() + WAIT_S
    while metering.redis.xpending("billing.wallet.accounts", "metering")["pending"]:
        assert time.monotonic() < deadline
        metering.wired.accounts_consumer.step()
        time.sleep(0.02)
    [letter] = dead_letters.listed(metering.redis, "billing.wallet.accounts")
    assert "Mars/Base" in letter.error


def test_workers_consume_accounts_and_publish_charges_in_the_background(
    start_metering: Callable[..., Running],
) -> None:
    metering = start_metering(workers=True)
    publish_account(metering.redis, "e-1", profile("acct-bg"))
    event = status("acct-bg", "m-1", "delivered", "2026-03-10T10:00:00+00:00")
    deadline = time.monotonic() + WAIT_S
    while True:
        response = metering.stub.RecordEvents(
            pb.RecordEventsRequest(events=[event]), timeout=DEADLINE_S
        )
        if response.results[0].outcome == events_pb2.EVENT_OUTCOME_ACCEPTED:
            break
        assert time.monotonic() < deadline, "the account never reached metering"
        time.sleep(0.05)
    while not charges(metering.redis):
        assert time.monotonic() < deadline, "the charge was never published"
        time.sleep(0.05)
    assert [(c.message_id, c.action, c.amount.amount_micros) for c in charges(metering.redis)] == [
        ("m-1", "commit", 25_000)
    ]
