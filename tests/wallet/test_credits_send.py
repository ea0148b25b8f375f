"""Credits for messages in the send path: a send draws on them before money; commit, release
and expiry give each part back where it came from; an expired grant leaves the hot balance;
the ledger records every part in double entry and Redis reconciles with it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common.clock import SteppedClock
from services.wallet.adapters import tables
from services.wallet.domain import ledger
from services.wallet.service.projection import project
from services.wallet.service.reconcile import Reconciler
from tests.wallet.conftest import (
    DEADLINE_S,
    MARKETING_USD_MICROS,
    US_NUMBER,
    WalletUnderTest,
    _serve,
    wallet_env,
)
from tests.wallet.helpers import field_of, in_seconds, refused, usd

DAY_S = 86_400
PRICE = MARKETING_USD_MICROS


def grant(
    wallet: WalletUnderTest,
    account: str,
    micros: int,
    priority: int = 0,
    expire_s: float = 30 * DAY_S,
    now_ms: int | None = None,
) -> str:
    expire_time = in_seconds(expire_s)
    if now_ms is not None:  # the wallet's clock is the test's
        expire_time.FromMilliseconds(now_ms + int(expire_s * 1000))
    answer = wallet.stub.GrantCredit(
        pb.GrantCreditRequest(
            account_id=account,
            amount=usd(micros),
            expire_time=expire_time,
            priority=priority,
            applies_to=["messages"],
            idempotency_key=uuid.uuid4().hex,
        ),
        timeout=DEADLINE_S,
    )
    return answer.credit.credit_id


def credit(wallet: WalletUnderTest, account: str) -> tuple[int, int]:
    """(available, reserved) of the account's credits for messages, from GetBalance."""
    answer = wallet.stub.GetBalance(pb.GetBalanceRequest(account_id=account), timeout=DEADLINE_S)
    for balance in answer.balances:
        if balance.kind == funds_pb2.ASSET_KIND_CREDIT:
            return balance.available_micros, balance.reserved_micros
    return 0, 0


def left(wallet: WalletUnderTest, account: str) -> dict[str, int]:
    wallet.wallet.projector.drain()
    listed = wallet.stub.ListCredits(pb.ListCreditsRequest(account_id=account), timeout=DEADLINE_S)
    return {c.credit_id: c.remaining.amount_micros for c in listed.credits}


def commit(wallet: WalletUnderTest, account: str, reservation: str, micros: int) -> None:
    wallet.stub.CommitReservation(
        authorise_pb2.CommitReservationRequest(
            account_id=account, reservation_id=reservation, amount_micros=micros
        ),
        timeout=DEADLINE_S,
    )


def release(wallet: WalletUnderTest, account: str, reservation: str) -> None:
    wallet.stub.ReleaseReservation(
        authorise_pb2.ReleaseReservationRequest(account_id=account, reservation_id=reservation),
        timeout=DEADLINE_S,
    )


def legs(wallet: WalletUnderTest, transaction_id: str) -> dict[str, tuple[int, int]]:
    entries = tables.ledger_entries.c
    with wallet.wallet.engine.connect() as connection:
        rows = connection.execute(
            sa.select(entries.ledger_account, entries.debit_micros, entries.credit_micros).where(
                entries.transaction_id == transaction_id
            )
        ).all()
    return {account: (debit, credit_) for account, debit, credit_ in rows}


def test_a_send_is_paid_by_credit_first_then_money(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    credit_id = grant(wallet, account, 10_000)
    assert credit(wallet, account) == (10_000, 0)

    sent = wallet.authorise(account)

    assert sent.decision == authorise_pb2.DECISION_ALLOWED
    assert sent.balance_after.amount_micros == 100_000 - (PRICE - 10_000)
    assert wallet.available(account) == (100_000 - 15_000, 15_000)
    assert credit(wallet, account) == (0, 10_000)
    # Credit is charged first: of 20,000 actual, 10,000 credit and 10,000 money.
    commit(wallet, account, sent.reservation_id, 20_000)
    assert wallet.available(account) == (90_000, 0)
    assert credit(wallet, account) == (0, 0)
    assert left(wallet, account) == {credit_id: 0}
    money = ledger.money_account(account, "USD")
    held = ledger.held_account(account, "USD")
    grant_account = ledger.credit_account(account, "USD", credit_id)
    credit_held = ledger.credit_held_account(account, "USD")
    assert legs(wallet, f"hold:{account}:{sent.reservation_id}") == {
        money: (15_000, 0),
        held: (0, 15_000),
        grant_account: (10_000, 0),
        credit_held: (0, 10_000),
    }
    assert legs(wallet, f"commit:{account}:{sent.reservation_id}") == {
        held: (15_000, 0),
        ledger.revenue_account("USD"): (0, 20_000),
        money: (0, 5_000),
        credit_held: (10_000, 0),
    }


def test_a_send_paid_wholly_by_credit_gives_the_unused_credit_back(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    credit_id = grant(wallet, account, 40_000)
    sent = wallet.authorise(account)
    assert sent.decision == authorise_pb2.DECISION_ALLOWED
    assert wallet.available(account) == (0, 0)
    commit(wallet, account, sent.reservation_id, 15_000)
    # The unused 10,000 stays reserved until the ledger has put it back on its grant.
    assert credit(wallet, account) == (15_000, 10_000)
    assert left(wallet, account) == {credit_id: 25_000}
    assert credit(wallet, account) == (25_000, 0)
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_ALLOWED
    assert wallet.authorise(account).deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS


def test_release_and_expiry_return_each_part(database_url: str, redis_url: str) -> None:
    env = wallet_env(database_url, redis_url, WALLET_HOLD_SECONDS="1")
    clock = SteppedClock()
    for wallet in _serve(env, clock):
        account = wallet.create_account()
        wallet.top_up(account, 100_000)
        grant(wallet, account, 10_000)
        released = wallet.authorise(account)
        expiring = wallet.authorise(account)
        assert credit(wallet, account) == (0, 10_000)
        assert wallet.available(account) == (100_000 - 15_000 - PRICE, 15_000 + PRICE)
        release(wallet, account, released.reservation_id)
        wallet.wallet.projector.drain()
        assert credit(wallet, account) == (10_000, 0)
        assert wallet.wallet.reservations.expire_overdue(100) == 0  # not yet due
        clock.step(1_000)
        assert wallet.wallet.reservations.expire_overdue(100) == 1
        wallet.wallet.projector.drain()
        assert credit(wallet, account) == (10_000, 0)
        assert wallet.available(account) == (100_000, 0)
        assert legs(wallet, f"expire:{account}:{expiring.reservation_id}")[
            ledger.money_account(account, "USD")
        ] == (0, PRICE)


def test_the_best_grant_pays_and_the_last_taken_gets_back_first(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    late = grant(wallet, account, 20_000, priority=1, expire_s=30 * DAY_S)
    first = grant(wallet, account, 10_000, priority=0, expire_s=60 * DAY_S)
    soon = grant(wallet, account, 20_000, priority=1, expire_s=10 * DAY_S)
    sent = wallet.authorise(account)
    assert left(wallet, account) == {late: 20_000, first: 0, soon: 5_000}
    commit(wallet, account, sent.reservation_id, 20_000)
    # Charged: all of `first` and 10,000 of `soon`; the unused 5,000 goes back to `soon`.
    assert left(wallet, account) == {late: 20_000, first: 0, soon: 10_000}
    again = wallet.authorise(account)
    assert left(wallet, account) == {late: 5_000, first: 0, soon: 0}
    release(wallet, account, again.reservation_id)
    assert left(wallet, account) == {late: 20_000, first: 0, soon: 10_000}
    assert credit(wallet, account) == (30_000, 0)


def test_concurrent_sends_never_overspend_credit_and_money(
    any_redis_wallet: WalletUnderTest,
) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, 3 * PRICE)
    grant(wallet, account, 2 * PRICE + 10_000)
    grant(wallet, account, 5_000, priority=3)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: wallet.authorise(account, f"m-{n}"), range(24)))
    allowed = [a for a in answers if a.decision == authorise_pb2.DECISION_ALLOWED]
    # 3 * PRICE money and 2 * PRICE + 15,000 credit pay for exactly 5 sends.
    assert len(allowed) == 5
    money, money_held = wallet.available(account)
    available, reserved = credit(wallet, account)
    assert money >= 0 and available >= 0
    assert money_held + reserved == 5 * PRICE
    assert money + available == 15_000
    for answer in allowed[:2]:
        release(wallet, account, answer.reservation_id)
    for answer in allowed[2:]:
        commit(wallet, account, answer.reservation_id, PRICE - 1_000)
    wallet.wallet.projector.drain()
    money, money_held = wallet.available(account)
    available, reserved = credit(wallet, account)
    assert money_held == reserved == 0
    assert money + available == 3 * PRICE + 2 * PRICE + 15_000 - 3 * (PRICE - 1_000)


def test_a_campaign_draws_on_credit_first(any_redis_wallet: WalletUnderTest) -> None:
    wallet = any_redis_wallet
    account = wallet.create_account()
    wallet.top_up(account, 2 * PRICE)
    grant(wallet, account, PRICE + 5_000)
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-1",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"b-{n}") for n in range(4)
        ],
    )
    refused_batch = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    assert refused_batch.deny_reason == authorise_pb2.DENY_REASON_BATCH_NOT_COVERED
    request.mode = authorise_pb2.BATCH_MODE_BEST_EFFORT
    answer = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    assert answer.allowed_count == 3 and answer.denied_count == 1
    assert answer.balance_after.amount_micros == 5_000
    assert credit(wallet, account) == (0, PRICE + 5_000)
    assert wallet.available(account) == (5_000, 2 * PRICE - 5_000)
    request.recipients.pop()
    assert wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S).allowed_count == 3
    for decision in answer.decisions[:3]:
        release(wallet, account, decision.reservation_id)
    wallet.wallet.projector.drain()
    assert credit(wallet, account) == (PRICE + 5_000, 0)


def expire_credits(wallet: WalletUnderTest) -> int:
    moved = wallet.wallet.loops["credits"].step()
    wallet.wallet.projector.drain()
    return moved


def test_an_expired_grant_leaves_the_hot_balance(stepped_wallet: WalletUnderTest) -> None:
    wallet, clock = stepped_wallet, stepped_wallet.clock
    assert clock is not None
    account = wallet.create_account()
    short = grant(wallet, account, 2 * PRICE, expire_s=1.5, now_ms=clock.now_ms())
    kept = grant(wallet, account, 5_000, priority=9, now_ms=clock.now_ms())
    held = wallet.authorise(account)
    assert held.decision == authorise_pb2.DECISION_ALLOWED
    assert left(wallet, account) == {short: PRICE, kept: 5_000}
    assert expire_credits(wallet) == 0  # not yet due
    clock.step(1_500)
    # Past the earliest expiry no send draws on credits until it is written off.
    assert wallet.authorise(account).deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS
    assert expire_credits(wallet) == 1
    assert expire_credits(wallet) == 0
    assert credit(wallet, account) == (5_000, PRICE)
    assert left(wallet, account) == {short: 0, kept: 5_000}
    assert legs(wallet, f"credit_expire:{account}:{short}") == {
        ledger.credit_account(account, "USD", short): (PRICE, 0),
        ledger.credits_funding_account("USD"): (0, PRICE),
    }
    # The held part of the expired grant is forfeited when released, never spent again.
    release(wallet, account, held.reservation_id)
    wallet.wallet.projector.drain()
    assert credit(wallet, account) == (5_000, 0)
    assert legs(wallet, f"release:{account}:{held.reservation_id}")[
        ledger.credits_funding_account("USD")
    ] == (0, PRICE)
    wallet.top_up(account, PRICE)
    paid = wallet.authorise(account)
    assert paid.balance_after.amount_micros == 5_000
    assert credit(wallet, account) == (0, 5_000)


def test_a_grant_that_expires_before_it_reaches_redis_is_written_off_in_sql(
    stepped_wallet: WalletUnderTest,
) -> None:
    wallet, clock = stepped_wallet, stepped_wallet.clock
    assert clock is not None
    account = wallet.create_account()
    credit_id = grant(wallet, account, 10_000, expire_s=1.0, now_ms=clock.now_ms())
    client = wallet.wallet.redis
    keys = wallet.wallet.partitioner.keys(account)
    client.delete(keys.credit(credit_id), keys.credits(account), keys.credit_expiries(account))
    wallet.wallet.projector.drain()
    client.delete(keys.credits(account))  # as if the grant had never reached Redis
    with wallet.wallet.engine.begin() as connection:
        connection.execute(
            tables.credits.update()
            .where(tables.credits.c.credit_id == credit_id)
            .values(applied_ms=None)
        )
    clock.step(1_000)  # the grant's expiry
    assert wallet.wallet.credits.apply_recorded(0, 10) == 0
    assert expire_credits(wallet) == 1
    assert left(wallet, account) == {credit_id: 0}
    assert credit(wallet, account) == (0, 0)


def test_a_grant_missed_by_redis_is_applied_by_the_sweeper(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    credit_id = grant(wallet, account, PRICE)
    keys = wallet.wallet.partitioner.keys(account)
    client = wallet.wallet.redis
    wallet.wallet.projector.drain()
    for key in (keys.credit(credit_id), keys.credits(account), keys.credit_expiries(account)):
        client.delete(key)
    with wallet.wallet.engine.begin() as connection:
        connection.execute(
            tables.credits.update()
            .where(tables.credits.c.credit_id == credit_id)
            .values(applied_ms=None)
        )
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_DENIED
    assert wallet.wallet.credits.apply_recorded(0, 10) == 1
    assert wallet.wallet.credits.apply_recorded(0, 10) == 0
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_ALLOWED


def test_credits_for_messages_are_not_redeemed_against_invoices(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    grant(wallet, account, 10_000)
    request = pb.RedeemCreditsRequest(
        account_id=account,
        invoice_id="inv-1",
        applies_to="notifications_invoice",
        max_amount=usd(5_000),
        idempotency_key="k",
    )
    assert wallet.stub.RedeemCredits(request, timeout=DEADLINE_S).redeemed == usd(0)
    request.applies_to = "messages"
    request.idempotency_key = "k2"
    assert field_of(refused(wallet.stub.RedeemCredits, request)) == "applies_to"
    assert credit(wallet, account) == (10_000, 0)


def test_a_batch_projected_twice_places_credit_once(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    credit_id = grant(wallet, account, 30_000)
    sent = wallet.authorise(account)
    commit(wallet, account, sent.reservation_id, 10_000)
    keys = wallet.wallet.partitioner.keys(account)
    entries: Any = wallet.wallet.redis.xrange(keys.ledger)
    for _ in range(2):
        project(wallet.wallet.works, entries)
    assert credit(wallet, account) == (20_000, 0)
    assert left(wallet, account) == {credit_id: 20_000}
    assert credit(wallet, account) == (20_000, 0)


@pytest.fixture
def reconciler(wallet: WalletUnderTest) -> Iterator[Reconciler]:
    w = wallet.wallet
    yield Reconciler(w.works, w.hot, w.partitioner, w.accounts)


def test_reconcile_and_rebuild_cover_credits(
    wallet: WalletUnderTest, reconciler: Reconciler
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    grant(wallet, account, 30_000)
    wallet.authorise(account)
    wallet.wallet.projector.drain()
    assert reconciler.differences(account) == []
    wallet.wallet.redis.delete(wallet.wallet.partitioner.keys(account).credits(account))
    found = {d.what: (d.redis_micros, d.sql_micros) for d in reconciler.differences(account)}
    assert found == {"credit available": (0, 5_000), "credit held": (0, PRICE)}
    wallet.wallet.recovery.rebuild_account(account)
    assert reconciler.differences(account) == []
    assert credit(wallet, account) == (5_000, PRICE)
    assert wallet.authorise(account).balance_after.amount_micros == 100_000 - 20_000


def test_grants_for_messages_are_checked_like_any_grant(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    bad = pb.GrantCreditRequest(
        account_id=account,
        amount=usd(-1),
        expire_time=in_seconds(DAY_S),
        applies_to=["messages"],
        idempotency_key="k",
    )
    assert field_of(refused(wallet.stub.GrantCredit, bad)) == "amount.amount_micros"
    assert credit(wallet, account) == (0, 0)
    with pytest.raises(grpc.RpcError):
        wallet.stub.GetBalance(pb.GetBalanceRequest(account_id="nobody"), timeout=DEADLINE_S)
