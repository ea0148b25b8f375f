"""AuthoriseBatch for campaigns: all-or-nothing or best-effort, one decision per recipient."""

from __future__ import annotations

import grpc
import pytest
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2

from services.common.clock import SteppedClock
from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, US_NUMBER, WalletUnderTest


def _batch(
    wallet: WalletUnderTest, account: str, count: int, mode: int, prefix: str = "c"
) -> authorise_pb2.AuthoriseBatchResponse:
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-1",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=mode,  # type: ignore[arg-type]
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"{prefix}-{n}")
            for n in range(count)
        ],
    )
    return wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)


def test_all_or_nothing_refuses_a_campaign_funds_do_not_cover(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 9 * MARKETING_USD_MICROS)
    refused = _batch(wallet, account, 10, authorise_pb2.BATCH_MODE_ALL_OR_NOTHING)
    assert refused.deny_reason == authorise_pb2.DENY_REASON_BATCH_NOT_COVERED
    assert refused.denied_count == 10 and refused.allowed_count == 0
    assert "Top up" in refused.message
    assert wallet.available(account) == (9 * MARKETING_USD_MICROS, 0)
    covered = _batch(wallet, account, 9, authorise_pb2.BATCH_MODE_ALL_OR_NOTHING)
    assert covered.allowed_count == 9
    assert covered.reserved_total.amount_micros == 9 * MARKETING_USD_MICROS
    assert covered.balance_after.amount_micros == 0
    assert len({d.reservation_id for d in covered.decisions}) == 9


def test_best_effort_reserves_in_order_while_funds_last(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 4 * MARKETING_USD_MICROS)
    answer = _batch(wallet, account, 10, authorise_pb2.BATCH_MODE_BEST_EFFORT)
    decisions = [d.decision for d in answer.decisions]
    assert decisions == [authorise_pb2.DECISION_ALLOWED] * 4 + [authorise_pb2.DECISION_DENIED] * 6
    assert (answer.allowed_count, answer.denied_count) == (4, 6)
    assert wallet.available(account) == (0, 4 * MARKETING_USD_MICROS)
    again = _batch(wallet, account, 10, authorise_pb2.BATCH_MODE_BEST_EFFORT)
    assert [d.reservation_id for d in again.decisions[:4]] == [
        d.reservation_id for d in answer.decisions[:4]
    ]
    assert wallet.available(account) == (0, 4 * MARKETING_USD_MICROS)


def test_a_batch_of_10_001_recipients_is_invalid_and_writes_nothing(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 10**12)
    with pytest.raises(grpc.RpcError) as refused:
        _batch(wallet, account, 10_001, authorise_pb2.BATCH_MODE_BEST_EFFORT)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith("recipients")
    assert wallet.available(account) == (10**12, 0)


def test_a_batch_of_10_000_recipients_is_authorised_in_one_call(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 10_000 * MARKETING_USD_MICROS)
    answer = _batch(wallet, account, 10_000, authorise_pb2.BATCH_MODE_ALL_OR_NOTHING)
    assert answer.allowed_count == 10_000
    assert wallet.available(account) == (0, 10_000 * MARKETING_USD_MICROS)


def test_every_hold_of_a_campaign_expires_and_is_released(
    database_url: str, redis_url: str
) -> None:
    from tests.wallet.conftest import _serve, wallet_env

    clock = SteppedClock()
    for wallet in _serve(wallet_env(database_url, redis_url, WALLET_HOLD_SECONDS="1"), clock):
        account = wallet.create_account()
        covered = 450  # more than one chunk of the expiry index, and some refused
        wallet.top_up(account, covered * MARKETING_USD_MICROS)
        answer = _batch(wallet, account, covered + 7, authorise_pb2.BATCH_MODE_BEST_EFFORT)
        assert (answer.allowed_count, answer.denied_count) == (covered, 7)
        assert wallet.available(account) == (0, covered * MARKETING_USD_MICROS)
        assert wallet.wallet.reservations.expire_overdue(1_000) == 0  # not yet due
        clock.step(1_000)
        assert wallet.wallet.reservations.expire_overdue(1_000) == covered
        assert wallet.available(account) == (covered * MARKETING_USD_MICROS, 0)
