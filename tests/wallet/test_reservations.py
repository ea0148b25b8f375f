"""Commit, release and expiry: each reservation settles exactly once; nothing moves otherwise."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from billing.common.v1 import money_pb2
from billing.metering.v1 import events_pb2
from billing.wallet.v1 import authorise_pb2

from services.common.clock import SteppedClock
from services.wallet.service.settings import CHARGES_STREAM
from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, WalletUnderTest

START = 100_000


def _commit(wallet: WalletUnderTest, account: str, reservation: str, amount: int):  # type: ignore[no-untyped-def]
    return wallet.stub.CommitReservation(
        authorise_pb2.CommitReservationRequest(
            account_id=account, reservation_id=reservation, amount_micros=amount
        ),
        timeout=DEADLINE_S,
    )


def _release(wallet: WalletUnderTest, account: str, reservation: str):  # type: ignore[no-untyped-def]
    return wallet.stub.ReleaseReservation(
        authorise_pb2.ReleaseReservationRequest(account_id=account, reservation_id=reservation),
        timeout=DEADLINE_S,
    )


def _reserved(wallet: WalletUnderTest) -> tuple[str, str]:
    account = wallet.create_account()
    wallet.top_up(account, START)
    answer = wallet.authorise(account)
    assert answer.decision == authorise_pb2.DECISION_ALLOWED
    return account, answer.reservation_id


def test_commit_charges_the_actual_amount_and_returns_the_rest(wallet: WalletUnderTest) -> None:
    account, reservation = _reserved(wallet)
    answer = _commit(wallet, account, reservation, 20_000)
    assert answer.reservation.state == authorise_pb2.RESERVATION_STATE_COMMITTED
    assert answer.reservation.committed.amount_micros == 20_000
    assert wallet.available(account) == (START - 20_000, 0)
    again = _commit(wallet, account, reservation, 20_000)
    assert again.reservation == answer.reservation
    assert wallet.available(account) == (START - 20_000, 0)


def test_commit_above_the_reservation_is_refused_and_moves_nothing(
    wallet: WalletUnderTest,
) -> None:
    account, reservation = _reserved(wallet)
    with pytest.raises(grpc.RpcError) as refused:
        _commit(wallet, account, reservation, MARKETING_USD_MICROS + 1)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "amount_micros" in (refused.value.details() or "")
    assert wallet.available(account) == (START - MARKETING_USD_MICROS, MARKETING_USD_MICROS)


def test_commit_after_release_fails_and_moves_nothing(wallet: WalletUnderTest) -> None:
    account, reservation = _reserved(wallet)
    released = _release(wallet, account, reservation)
    assert released.reservation.state == authorise_pb2.RESERVATION_STATE_RELEASED
    assert _release(wallet, account, reservation).reservation == released.reservation
    with pytest.raises(grpc.RpcError) as refused:
        _commit(wallet, account, reservation, 1)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert wallet.available(account) == (START, 0)


def test_another_accounts_reservation_is_not_found(wallet: WalletUnderTest) -> None:
    account, reservation = _reserved(wallet)
    other = wallet.create_account()
    with pytest.raises(grpc.RpcError) as refused:
        _commit(wallet, other, reservation, 1)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert wallet.available(account) == (START - MARKETING_USD_MICROS, MARKETING_USD_MICROS)


def test_racing_commits_and_releases_settle_once(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    reservations = [wallet.authorise(account).reservation_id for _ in range(4)]

    def settle(n: int) -> str:
        reservation = reservations[n % 4]
        try:
            if n % 2:
                _commit(wallet, account, reservation, 10_000)
            else:
                _release(wallet, account, reservation)
            return "ok"
        except grpc.RpcError as error:
            return error.code().name

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(settle, range(64)))
    assert set(outcomes) <= {"ok", "FAILED_PRECONDITION"}
    available, held = wallet.available(account)
    assert held == 0
    charged = START - available
    assert charged % 10_000 == 0 and 0 <= charged <= 40_000


def test_an_expired_reservation_is_released_and_cannot_be_committed(
    database_url: str, redis_url: str
) -> None:
    from tests.wallet.conftest import _serve, wallet_env

    clock = SteppedClock()
    env = wallet_env(database_url, redis_url, WALLET_HOLD_SECONDS="1")
    for wallet in _serve(env, clock):
        account = wallet.create_account()
        wallet.top_up(account, START)
        held = wallet.authorise(account)
        reservation = held.reservation_id
        clock.step(held.reservation_expire_time.ToMilliseconds() - clock.now_ms() - 1)
        assert wallet.wallet.reservations.expire_overdue(100) == 0  # a millisecond early
        clock.step(1_000)
        assert wallet.wallet.reservations.expire_overdue(100) == 1
        assert wallet.available(account) == (START, 0)
        with pytest.raises(grpc.RpcError) as refused:
            _commit(wallet, account, reservation, 1)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        lazily = wallet.authorise(account)
        clock.step(max(0, lazily.reservation_expire_time.ToMilliseconds() - clock.now_ms()))
        with pytest.raises(grpc.RpcError):
            _commit(wallet, account, lazily.reservation_id, 1)
        assert wallet.available(account) == (START, 0)


def test_metering_charges_commit_or_release_once_per_event(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, START)
    committed = wallet.authorise(account, "msg-commit")
    released = wallet.authorise(account, "msg-release")
    events = [
        events_pb2.ChargeSettled(
            event_id="e-1",
            account_id=account,
            message_id="msg-commit",
            action="commit",
            amount=money_pb2.Money(currency_code="USD", amount_micros=15_000),
        ),
        events_pb2.ChargeSettled(
            event_id="e-2",
            account_id=account,
            message_id="msg-release",
            reservation_id=released.reservation_id,
            action="release",
        ),
    ]
    client = wallet.wallet.redis
    for event in events + events:  # every event delivered twice
        client.xadd(CHARGES_STREAM, {"event": event.SerializeToString(), "type": "x"})
    consumer = wallet.wallet.loops["charges"]
    while consumer.step():
        pass
    assert committed.reservation_id
    assert wallet.available(account) == (START - 15_000, 0)
