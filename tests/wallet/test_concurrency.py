"""Races on one balance, on a single Redis and on Redis Cluster: never an overdraft or a double."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from billing.wallet.v1 import authorise_pb2

from tests.wallet.conftest import MARKETING_USD_MICROS, WalletUnderTest

COVERED = 37
SENDERS = 200


def test_200_concurrent_sends_allow_exactly_what_the_balance_covers(
    any_redis_wallet: WalletUnderTest,
) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, COVERED * MARKETING_USD_MICROS)
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda n: wallet.authorise(account, f"m-{n}"), range(SENDERS)))
    allowed = [a for a in answers if a.decision == authorise_pb2.DECISION_ALLOWED]
    denied = [a for a in answers if a.decision == authorise_pb2.DECISION_DENIED]
    assert len(allowed) == COVERED
    assert len(denied) == SENDERS - COVERED
    assert all(a.deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS for a in denied)
    assert min(a.balance_after.amount_micros for a in allowed) == 0
    assert wallet.available(account) == (0, COVERED * MARKETING_USD_MICROS)


def test_10_concurrent_retries_of_one_message_reserve_once(
    any_redis_wallet: WalletUnderTest,
) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, 10 * MARKETING_USD_MICROS)
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _n: wallet.authorise(account, "same-message"), range(10)))
    assert len({a.reservation_id for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1
    first = next(a for a in answers if not a.replayed)
    for answer in answers:
        assert answer.decision == first.decision == authorise_pb2.DECISION_ALLOWED
        assert answer.price == first.price
        assert answer.balance_after == first.balance_after
    assert wallet.available(account) == (9 * MARKETING_USD_MICROS, MARKETING_USD_MICROS)
