"""Balance alerts on billing.wallet.alerts: low balance and zero balance, once per crossing,
through the outbox (written with the crossing, published after)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from billing.common.v1 import outbox_pb2
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.adapters import tables
from services.wallet.service.settings import ALERTS_STREAM
from tests.wallet.conftest import MARKETING_USD_MICROS, WalletUnderTest, _serve, wallet_env

SEND = MARKETING_USD_MICROS
ALERT_TYPE = pb.BalanceAlert.DESCRIPTOR.full_name


@pytest.fixture
def alerting(database_url: str, redis_url: str) -> Iterator[WalletUnderTest]:
    env = wallet_env(database_url, redis_url, WALLET_LOW_BALANCE_MICROS=str(3 * SEND))
    yield from _serve(env)


def spend(wallet: WalletUnderTest, account: str, sends: int) -> None:
    for _ in range(sends):
        wallet.authorise(account)
    wallet.wallet.projector.drain()


def published(wallet: WalletUnderTest, redis_url: str, account: str) -> list[tuple[str, int]]:
    """(kind, available) of the account's alerts on the stream, after the outbox relay ran."""
    while wallet.wallet.outbox.step():
        pass
    client = redis.Redis.from_url(redis_url)
    try:
        entries: Any = client.xrange(ALERTS_STREAM)
    finally:
        client.close()
    found = []
    for _id, fields in entries:
        assert fields[b"type"].decode() == ALERT_TYPE
        alert = pb.BalanceAlert.FromString(fields[b"event"])
        if alert.account_id == account:
            found.append((alert.kind, alert.available.amount_micros))
    return found


def test_low_and_zero_balance_alerts_once_per_crossing(
    alerting: WalletUnderTest, redis_url: str
) -> None:
    wallet = alerting
    account = wallet.create_account(low_balance_threshold_micros=2 * SEND)
    wallet.top_up(account, 4 * SEND)
    spend(wallet, account, 2)  # 2 left: not below 2
    assert published(wallet, redis_url, account) == []
    spend(wallet, account, 1)
    assert published(wallet, redis_url, account) == [("low_balance", SEND)]
    spend(wallet, account, 1)
    spend(wallet, account, 3)  # denied: nothing moves, nothing new
    assert published(wallet, redis_url, account) == [("low_balance", SEND), ("zero_balance", 0)]
    wallet.top_up(account, 4 * SEND)  # back above both thresholds
    spend(wallet, account, 3)
    assert published(wallet, redis_url, account) == [
        ("low_balance", SEND),
        ("zero_balance", 0),
        ("balance_recovered", 4 * SEND),  # once, for the higher threshold it went back above
        ("low_balance", SEND),
    ]


def test_the_wallets_default_threshold_applies_unless_the_account_sets_one(
    alerting: WalletUnderTest, redis_url: str
) -> None:
    wallet = alerting
    defaulted = wallet.create_account()
    silent = wallet.create_account(low_balance_threshold_micros=0)
    for account in (defaulted, silent):
        wallet.top_up(account, 4 * SEND)
        spend(wallet, account, 2)
    assert published(wallet, redis_url, defaulted) == [("low_balance", 2 * SEND)]
    assert published(wallet, redis_url, silent) == []
    wallet.stub.UpdateAccount(
        pb.UpdateAccountRequest(
            account_id=silent,
            profile=account_pb2.AccountProfile(),
            update_mask="low_balance_threshold_micros",
        ),
        timeout=10,
    )
    spend(wallet, silent, 1)  # unset again: the default (3 sends) applies
    assert published(wallet, redis_url, silent) == [("low_balance", SEND)]


def test_an_alert_is_in_the_outbox_before_it_is_published(
    alerting: WalletUnderTest, redis_url: str
) -> None:
    wallet = alerting
    account = wallet.create_account()
    wallet.top_up(account, SEND)
    spend(wallet, account, 1)
    outbox = tables.outbox.c
    with wallet.wallet.engine.connect() as connection:
        waiting = connection.execute(
            sa.select(outbox.events).where(outbox.published.is_(None))
        ).all()
    kinds = [
        pb.BalanceAlert.FromString(event.event).kind
        for row in waiting
        for event in outbox_pb2.OutboxBatch.FromString(row.events).events
        if event.stream == ALERTS_STREAM
    ]
    assert sorted(kinds) == ["low_balance", "zero_balance"]  # not yet on the stream
    wallet.wallet.watch.observe([(account, "", "USD")])  # seen again: nothing new
    assert sorted(kind for kind, _ in published(wallet, redis_url, account)) == [
        "low_balance",
        "zero_balance",
    ]


def test_credits_that_could_pay_count_toward_the_balance_and_its_alerts(
    alerting: WalletUnderTest, redis_url: str
) -> None:
    from tests.wallet.test_credits_send import grant

    wallet = alerting
    account = wallet.create_account()  # no money at all: credits pay
    grant(wallet, account, 10 * SEND)
    sent = wallet.authorise(account)
    assert sent.balance_after.amount_micros == 9 * SEND  # what could still pay
    wallet.wallet.projector.drain()
    assert published(wallet, redis_url, account) == []  # no false "zero balance"
