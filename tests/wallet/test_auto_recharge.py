"""Auto-recharge: validated rules; once per crossing below the threshold, with a cool-off and a
monthly cap; charged through the payment port, paid in as a top-up; never twice for a crossing,
even with concurrent sends on two wallet processes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import sqlalchemy as sa
from billing.wallet.v1 import account_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.adapters import tables
from tests.wallet.conftest import (
    DEADLINE_S,
    MARKETING_USD_MICROS,
    WalletUnderTest,
    _serve,
    wallet_env,
)
from tests.wallet.fakes import FakeRechargePayments
from tests.wallet.helpers import field_of, refused

SEND = MARKETING_USD_MICROS


@pytest.fixture
def payments() -> FakeRechargePayments:
    return FakeRechargePayments()


@pytest.fixture
def recharging(
    database_url: str, redis_url: str, payments: FakeRechargePayments
) -> Iterator[WalletUnderTest]:
    env = wallet_env(
        database_url,
        redis_url,
        WALLET_RECHARGE_RETRY_SECONDS="0",
        WALLET_TOP_UP_FEE_BASIS_POINTS="200",
    )
    yield from _serve(env, payments)


def set_rule(
    wallet: WalletUnderTest,
    account: str,
    threshold: int,
    amount: int,
    cool_off_s: int = 0,
    per_month: int = 10,
    channel: str = "",
    key: str = "",
) -> pb.SetAutoRechargeResponse:
    rule = funds_pb2.AutoRecharge(
        channel_id=channel,
        enabled=True,
        threshold_micros=threshold,
        amount_micros=amount,
        cool_off_seconds=cool_off_s,
        max_per_month=per_month,
        currency_code="USD",
    )
    request = pb.SetAutoRechargeRequest(account_id=account, auto_recharge=rule, idempotency_key=key)
    return wallet.stub.SetAutoRecharge(request, timeout=DEADLINE_S)


def spend(wallet: WalletUnderTest, account: str, sends: int, channel: str = "chan-1") -> None:
    for _ in range(sends):
        wallet.authorise(account, channel_id=channel)
    wallet.wallet.projector.drain()


def recharged(wallet: WalletUnderTest, account: str) -> list[funds_pb2.TopUp]:
    listed = wallet.stub.ListTopUps(pb.ListTopUpsRequest(account_id=account), timeout=DEADLINE_S)
    return [t for t in listed.top_ups if t.source == "auto_recharge"]


def test_a_rule_is_validated_stored_and_read_back(recharging: WalletUnderTest) -> None:
    wallet = recharging
    account = wallet.create_account()
    unset = wallet.stub.GetAutoRecharge(
        pb.GetAutoRechargeRequest(account_id=account), timeout=DEADLINE_S
    ).auto_recharge
    assert not unset.enabled and unset.currency_code == "USD"
    first = set_rule(wallet, account, 60_000, 200_000, cool_off_s=600, per_month=3, key="k")
    assert set_rule(wallet, account, 60_000, 200_000, cool_off_s=600, per_month=3, key="k") == first
    stored = wallet.stub.GetAutoRecharge(
        pb.GetAutoRechargeRequest(account_id=account), timeout=DEADLINE_S
    ).auto_recharge
    assert stored == first.auto_recharge
    assert (stored.threshold_micros, stored.amount_micros, stored.max_per_month) == (
        60_000,
        200_000,
        3,
    )
    with pytest.raises(grpc.RpcError) as conflict:
        set_rule(wallet, account, 1, 200_000, key="k")
    assert conflict.value.code() == grpc.StatusCode.ABORTED


BAD_RULES = [
    ({"threshold_micros": -1}, "auto_recharge.threshold_micros"),
    ({"amount_micros": 0}, "auto_recharge.amount_micros"),
    ({"amount_micros": 10**16}, "auto_recharge.amount_micros"),
    ({"max_per_month": 0}, "auto_recharge.max_per_month"),
    ({"cool_off_seconds": -5}, "auto_recharge.cool_off_seconds"),
    ({"currency_code": "EUR"}, "auto_recharge.currency_code"),
    ({"channel_id": "chan-1"}, "auto_recharge.channel_id"),
    ({"account_id": "someone-else"}, "auto_recharge.account_id"),
]


@pytest.mark.parametrize(("change", "field"), BAD_RULES)
def test_bad_rules_name_the_field_and_change_nothing(
    recharging: WalletUnderTest, change: dict[str, object], field: str
) -> None:
    wallet = recharging
    account = wallet.create_account()
    values: dict[str, object] = {
        "enabled": True,
        "threshold_micros": 1_000,
        "amount_micros": 5_000,
        "max_per_month": 2,
    }
    values.update(change)
    request = pb.SetAutoRechargeRequest(
        account_id=account,
        auto_recharge=funds_pb2.AutoRecharge(**values),  # type: ignore[arg-type]
    )
    assert field_of(refused(wallet.stub.SetAutoRecharge, request)) == field
    stored = wallet.stub.GetAutoRecharge(
        pb.GetAutoRechargeRequest(account_id=account), timeout=DEADLINE_S
    ).auto_recharge
    assert not stored.enabled and stored.amount_micros == 0


def test_it_recharges_once_per_crossing_and_again_after_the_next(
    recharging: WalletUnderTest, payments: FakeRechargePayments
) -> None:
    wallet = recharging
    account = wallet.create_account()
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, threshold=3 * SEND, amount=8 * SEND)
    spend(wallet, account, 2)  # 2 sends left: below the threshold
    assert wallet.available(account)[0] == (4 - 2 + 8) * SEND
    spend(wallet, account, 0)
    [first] = recharged(wallet, account)
    assert first.amount.amount_micros == 8 * SEND
    assert first.fee.amount_micros == 8 * SEND * 200 // 10_000
    assert first.state == funds_pb2.TOP_UP_STATE_APPLIED
    # The card paid the amount and the transaction fee, once.
    assert [c[3] for c in payments.charges.values()] == [8 * SEND + 8 * SEND * 2 // 100]
    spend(wallet, account, 6)  # 4 left: above the threshold still
    assert len(recharged(wallet, account)) == 1
    spend(wallet, account, 2)  # 2 left: a new crossing
    assert len(recharged(wallet, account)) == 2
    assert wallet.available(account)[0] == 10 * SEND
    assert [r["state"] for r in wallet.wallet.recharges.list_recharges(account)] == ["done"] * 2


@pytest.mark.parametrize(("cool_off_s", "per_month"), [(3_600, 10), (0, 1)])
def test_the_cool_off_and_the_monthly_cap_hold_back_the_next_recharge(
    recharging: WalletUnderTest, cool_off_s: int, per_month: int
) -> None:
    wallet = recharging
    account = wallet.create_account()
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND, cool_off_s=cool_off_s, per_month=per_month)
    spend(wallet, account, 2)
    assert len(recharged(wallet, account)) == 1
    spend(wallet, account, 3)  # 4 -> 1: back above, then below again
    assert len(recharged(wallet, account)) == 1
    assert wallet.available(account)[0] == SEND


def test_a_crossing_held_back_by_the_cool_off_fires_later_with_no_further_send(
    recharging: WalletUnderTest,
) -> None:
    wallet = recharging
    account = wallet.create_account()
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND, cool_off_s=1)
    spend(wallet, account, 2)
    spend(wallet, account, 3)  # 4 -> 1: below again, inside the cool-off
    assert len(recharged(wallet, account)) == 1
    listed = wallet.stub.ListRecharges(
        pb.ListRechargesRequest(account_id=account), timeout=DEADLINE_S
    ).recharges
    assert [r.state for r in listed] == ["held", "done"]
    assert wallet.wallet.recharges.fire_due(limit=10) == 0  # not yet
    time.sleep(1.1)
    assert wallet.wallet.recharges.fire_due(limit=10) == 1  # no send needed
    assert len(recharged(wallet, account)) == 2
    assert wallet.available(account)[0] == 3 * SEND


def test_the_monthly_cap_holds_a_crossing_until_next_month(recharging: WalletUnderTest) -> None:
    wallet = recharging
    account = wallet.create_account()
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND, per_month=1)
    spend(wallet, account, 2)
    spend(wallet, account, 3)
    [held, _done] = wallet.stub.ListRecharges(
        pb.ListRechargesRequest(account_id=account), timeout=DEADLINE_S
    ).recharges
    assert held.state == "held"
    next_month = held.next_attempt_time.ToDatetime(dt.UTC)
    assert (next_month.day, next_month.hour, next_month.minute) == (1, 0, 0)
    assert next_month > dt.datetime.now(dt.UTC)


def test_declines_back_off_then_stop_with_an_alert(
    database_url: str, redis_url: str, payments: FakeRechargePayments
) -> None:
    env = wallet_env(database_url, redis_url, WALLET_RECHARGE_BACKOFF_SECONDS="0")
    for wallet in _serve(env, payments):
        payments.refuse = True
        account = wallet.create_account()
        wallet.top_up(account, 4 * SEND)
        set_rule(wallet, account, 3 * SEND, 2 * SEND)
        spend(wallet, account, 2)
        for _ in range(10):
            wallet.wallet.recharges.fire_due(limit=10)
        [row] = wallet.stub.ListRecharges(
            pb.ListRechargesRequest(account_id=account), timeout=DEADLINE_S
        ).recharges
        assert (row.state, row.attempts, row.problem) == ("failed", 4, "card declined")
        assert (row.amount.amount_micros, row.fee.amount_micros) == (2 * SEND, 0)
        assert recharged(wallet, account) == []
        assert payments.calls == 4  # bounded: it cannot run away
        with wallet.wallet.engine.connect() as connection:
            kinds = connection.execute(sa.select(tables.balance_alerts.c.kind)).scalars().all()
        assert "recharge_failed" in kinds


def test_a_refused_charge_is_recorded_and_not_retried_for_the_crossing(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()  # no payment provider configured
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(wallet, account, 2)
    spend(wallet, account, 1)
    [row] = wallet.wallet.recharges.list_recharges(account)
    assert row["state"] == "failed" and "no payment provider" in row["problem"]
    assert recharged(wallet, account) == []
    assert wallet.available(account)[0] == SEND


def test_a_provider_that_was_down_is_asked_again_and_charges_once(
    recharging: WalletUnderTest, payments: FakeRechargePayments
) -> None:
    wallet = recharging
    payments.down_for = 1
    account = wallet.create_account()
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(wallet, account, 2)
    assert [r["state"] for r in wallet.wallet.recharges.list_recharges(account)] == ["charging"]
    assert wallet.wallet.recharges.resume(limit=10) == 1
    spend(wallet, account, 0)
    wallet.wallet.watch.observe([(account, "", "USD")])
    assert [r["state"] for r in wallet.wallet.recharges.list_recharges(account)] == ["done"]
    assert len(payments.charges) == 1 and len(recharged(wallet, account)) == 1


def test_a_rule_per_phone_number_recharges_only_that_numbers_balance(
    recharging: WalletUnderTest,
) -> None:
    wallet = recharging
    account = wallet.create_account(balance_scope=account_pb2.BALANCE_SCOPE_CHANNEL)
    for channel in ("chan-1", "chan-2"):
        wallet.top_up(account, 4 * SEND, channel_id=channel)
    set_rule(wallet, account, 3 * SEND, 5 * SEND, channel="chan-1")
    spend(wallet, account, 2, channel="chan-2")
    assert recharged(wallet, account) == []
    spend(wallet, account, 2, channel="chan-1")
    [top_up] = recharged(wallet, account)
    assert top_up.channel_id == "chan-1"
    assert wallet.available(account, "chan-1")[0] == 7 * SEND
    assert wallet.available(account, "chan-2")[0] == 2 * SEND


def test_one_recharge_per_crossing_with_50_concurrent_sends_on_two_wallet_processes(
    database_url: str, redis_url: str, payments: FakeRechargePayments
) -> None:
    starts = [
        _serve(wallet_env(database_url, redis_url, WALLET_CONSUMER_NAME=name), payments)
        for name in ("wallet-a", "wallet-b")
    ]
    wallets = [next(start) for start in starts]
    try:
        first = wallets[0]
        account = first.create_account()
        first.top_up(account, 50 * SEND + SEND // 2)
        # The recharge never lifts the balance back above the threshold (39.5 + 0.25 sends):
        # the 50 sends make one crossing, and any second recharge would show.
        set_rule(first, account, threshold=40 * SEND, amount=SEND // 4)
        sending = threading.Event()

        def project(wallet: WalletUnderTest) -> None:
            while sending.is_set():
                wallet.wallet.projector.step()
                wallet.wallet.watch.observe([(account, "", "USD")])

        sending.set()
        with ThreadPoolExecutor(max_workers=24) as pool:
            watchers = [pool.submit(project, w) for w in wallets for _ in range(2)]
            answers = list(
                pool.map(lambda n: wallets[n % 2].authorise(account, f"m-{n}"), range(50))
            )
            sending.clear()
            for watcher in watchers:
                watcher.result()
        for wallet in wallets:
            wallet.wallet.projector.drain()
            wallet.wallet.watch.observe([(account, "", "USD")])
        assert sum(a.reservation_id != "" for a in answers) == 50
        assert len(wallets[0].wallet.recharges.list_recharges(account)) == 1
        assert len(payments.charges) == 1
        assert len(recharged(first, account)) == 1
        assert first.available(account)[0] == SEND // 2 + SEND // 4
    finally:
        for start in starts:
            next(start, None)
