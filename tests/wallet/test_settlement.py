"""Every charge metering publishes is applied once, whatever became of its reservation:
committed when live (the part above the estimate taken too), taken directly when the hold
expired, was released or never existed, adjusted after an earlier commit; a debt refuses paid
sends until a top-up covers it; a charge that cannot be applied becomes a dead letter."""

from __future__ import annotations

import time
from typing import Any

import grpc
import pytest
from billing.common.v1 import category_pb2, money_pb2
from billing.metering.v1 import events_pb2
from billing.wallet.v1 import authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common import dead_letters
from services.common.clock import SteppedClock
from services.wallet.service.settings import CHARGES_STREAM
from tests.wallet.conftest import (
    DEADLINE_S,
    MARKETING_USD_MICROS,
    WalletUnderTest,
    _serve,
    wallet_env,
)

START = 100_000
PRICE = MARKETING_USD_MICROS


def charge(
    account: str, message: str, micros: int, *, reservation: str = "", action: str = "commit"
) -> events_pb2.ChargeSettled:
    return events_pb2.ChargeSettled(
        event_id=f"{account}:{message}:settle",
        account_id=account,
        channel_id="chan-1",
        message_id=message,
        reservation_id=reservation,
        action=action,
        amount=money_pb2.Money(currency_code="USD", amount_micros=micros),
    )


def deliver(wallet: WalletUnderTest, *events: events_pb2.ChargeSettled) -> None:
    """Metering's charges on their stream, applied by the charges loop, then projected."""
    for event in events:
        wallet.wallet.redis.xadd(
            CHARGES_STREAM, {"event": event.SerializeToString(), "type": "ChargeSettled"}
        )
    while wallet.wallet.loops["charges"].step():
        pass
    wallet.wallet.projector.drain()


def revenue(wallet: WalletUnderTest, account: str) -> int:
    entries = wallet.stub.ListLedgerEntries(
        pb.ListLedgerEntriesRequest(account_id=account, page_size=1000), timeout=DEADLINE_S
    ).entries
    return sum(
        e.credit_micros - e.debit_micros
        for e in entries
        if e.ledger_account.startswith("revenue:messages:")
    )


def test_a_live_reservation_is_committed_at_metering_s_price(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    sent = wallet.authorise(account, "m-1")
    deliver(wallet, charge(account, "m-1", PRICE - 5_000))  # cheaper than estimated
    assert wallet.available(account) == (START - PRICE + 5_000, 0)
    assert revenue(wallet, account) == PRICE - 5_000
    assert sent.reservation_id


def test_a_message_meta_charges_above_its_estimate_is_charged_in_full(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    wallet.authorise(account, "m-1", category=category_pb2.CATEGORY_UTILITY)
    estimate = START - wallet.available(account)[0]
    deliver(wallet, charge(account, "m-1", PRICE))  # Meta reported it as marketing
    assert estimate < PRICE
    assert wallet.available(account) == (START - PRICE, 0)
    assert revenue(wallet, account) == PRICE


def test_a_delivery_after_the_hold_expired_is_still_charged(
    database_url: str, redis_url: str
) -> None:
    clock = SteppedClock()
    for wallet in _serve(wallet_env(database_url, redis_url, WALLET_HOLD_SECONDS="1"), clock):
        account = wallet.create_account()
        wallet.top_up(account, START)
        wallet.authorise(account, "late")
        assert wallet.wallet.reservations.expire_overdue(100) == 0  # not yet due
        clock.step(1_000)
        assert wallet.wallet.reservations.expire_overdue(100) == 1
        assert wallet.available(account) == (START, 0)
        deliver(wallet, charge(account, "late", PRICE))
        assert wallet.available(account) == (START - PRICE, 0)
        assert revenue(wallet, account) == PRICE


def test_a_message_never_authorised_is_charged_and_may_leave_a_debt(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, PRICE // 2)
    deliver(wallet, charge(account, "never-authorised", PRICE))
    balance = wallet.stub.GetBalance(
        pb.GetBalanceRequest(account_id=account), timeout=DEADLINE_S
    ).balances[0]
    assert (balance.available_micros, balance.debt_micros) == (-PRICE // 2, PRICE // 2)
    assert revenue(wallet, account) == PRICE
    refused = wallet.authorise(account, "while-in-debt")
    assert refused.deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS
    wallet.top_up(account, PRICE)  # the debt is paid first
    assert wallet.available(account) == (PRICE // 2, 0)
    assert wallet.authorise(account, "after").decision == authorise_pb2.DECISION_DENIED
    wallet.top_up(account, PRICE)
    assert wallet.authorise(account, "covered").decision == authorise_pb2.DECISION_ALLOWED


def test_each_charge_applies_once_however_often_it_is_delivered(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    wallet.authorise(account, "m-1")
    once = charge(account, "m-1", PRICE)
    deliver(wallet, once, once)
    deliver(wallet, once)
    deliver(wallet, charge(account, "direct", PRICE), charge(account, "direct", PRICE))
    assert wallet.available(account) == (START - 2 * PRICE, 0)
    assert revenue(wallet, account) == 2 * PRICE


def test_a_failed_message_releases_its_hold(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    wallet.authorise(account, "failed")
    deliver(wallet, charge(account, "failed", 0, action="release"))
    assert wallet.available(account) == (START, 0)
    assert revenue(wallet, account) == 0


def test_metering_s_price_stands_after_an_earlier_commit(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    sent = wallet.authorise(account, "m-1")
    wallet.stub.CommitReservation(
        authorise_pb2.CommitReservationRequest(
            account_id=account, reservation_id=sent.reservation_id, amount_micros=PRICE - 10_000
        ),
        timeout=DEADLINE_S,
    )
    deliver(wallet, charge(account, "m-1", PRICE))
    assert wallet.available(account) == (START - PRICE, 0)
    assert revenue(wallet, account) == PRICE


def test_a_charge_that_cannot_be_applied_is_set_aside_with_an_alert(
    database_url: str, redis_url: str
) -> None:
    env = wallet_env(database_url, redis_url, STREAM_RETRY_FIRST_MS="20", STREAM_MAX_ATTEMPTS="2")
    for wallet in _serve(env):
        account = wallet.create_account()
        wallet.top_up(account, START)
        deliver(wallet, charge("no-such-account", "m-x", PRICE), charge(account, "ok", PRICE))
        assert wallet.available(account) == (START - PRICE, 0)  # not held back by the other
        deadline = time.monotonic() + 10
        client: Any = wallet.wallet.redis
        while not dead_letters.listed(client, CHARGES_STREAM):
            assert time.monotonic() < deadline
            wallet.wallet.loops["charges"].step()
            time.sleep(0.02)
        [letter] = dead_letters.listed(client, CHARGES_STREAM)
        assert "no-such-account" in letter.error
        assert client.xlen("billing.operations.alerts") >= 1


def test_an_amount_beyond_the_exact_range_is_refused(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    with pytest.raises(grpc.RpcError) as refused:
        wallet.top_up(account, 10**15 + 1)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    wallet.top_up(account, 10**15)
    with pytest.raises(grpc.RpcError) as above:
        wallet.top_up(account, 1)  # the balance itself is bounded: Lua's sums stay exact
    assert above.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_ALLOWED
    assert wallet.available(account)[0] == 10**15 - PRICE
