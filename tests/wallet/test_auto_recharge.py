"""Auto-recharge through invoicing: validated rules; once per crossing below the threshold,
with a cool-off and a monthly cap, the wallet asks invoicing (an event through its outbox),
invoicing charges the card on file amount + the quoted fee and credits the balance by TopUp,
and its answer moves the recharge on. Never twice for a crossing, even with concurrent sends
on two wallet processes; declines back off and stop with an alert; every attempt listed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as invoicing_pb
from billing.wallet.v1 import account_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common.clock import SteppedClock
from services.invoicing.adapters import tables as invoicing_tables
from services.invoicing.adapters.payment_providers import (
    FAKE_EVENT_KEY,
    FakePaymentProvider,
    NoPaymentProvider,
)
from services.wallet.adapters import tables
from services.wallet.domain import recharges as life
from tests.payments.recharging import Recharging, serve_recharging
from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, WalletUnderTest
from tests.wallet.helpers import field_of, refused

SEND = MARKETING_USD_MICROS  # USD 0.025
CENT = 10_000


# Invoicing takes a request again once its stream retry is due (STREAM_RETRY_FIRST_MS, 50 ms,
# measured by Redis): waited for by polling, at most this long.
RETRY_WAIT_S = 10.0
POLL_S = 0.02


def settle_until(suite: Recharging, condition: Callable[[], bool]) -> None:
    """Move requests and answers along until the condition holds (AssertionError after
    RETRY_WAIT_S)."""
    deadline = time.monotonic() + RETRY_WAIT_S
    while True:
        suite.settle()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled within {RETRY_WAIT_S} s")
        time.sleep(POLL_S)


@pytest.fixture
def provider() -> FakePaymentProvider:
    return FakePaymentProvider()


@pytest.fixture
def recharging(
    tmp_path: Path, database_url: str, redis_url: str, provider: FakePaymentProvider
) -> Iterator[Recharging]:
    yield from serve_recharging(tmp_path, database_url, redis_url, provider)


@pytest.fixture
def stepped_recharging(
    tmp_path: Path, database_url: str, redis_url: str, provider: FakePaymentProvider
) -> Iterator[Recharging]:
    """As `recharging`, the wallet on a clock the test steps."""
    clock = SteppedClock()
    yield from serve_recharging(tmp_path, database_url, redis_url, provider, clock=clock)


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


def spend(suite: Recharging, account: str, sends: int, channel: str = "chan-1") -> None:
    """Sends, then everything they set off: projection, the crossing, the recharge."""
    for _ in range(sends):
        suite.wallet.authorise(account, channel_id=channel)
    suite.wallet.wallet.projector.drain()
    suite.settle()


def recharged(wallet: WalletUnderTest, account: str) -> list[funds_pb2.TopUp]:
    listed = wallet.stub.ListTopUps(pb.ListTopUpsRequest(account_id=account), timeout=DEADLINE_S)
    return [t for t in listed.top_ups if t.source == "auto_recharge"]


def test_a_rule_is_validated_stored_and_read_back(recharging: Recharging) -> None:
    wallet = recharging.wallet
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
    # A card is charged in cents: USD 0.005 cannot be charged exactly.
    ({"amount_micros": 5_000}, "auto_recharge.amount_micros"),
    ({"max_per_month": 0}, "auto_recharge.max_per_month"),
    ({"cool_off_seconds": -5}, "auto_recharge.cool_off_seconds"),
    ({"currency_code": "EUR"}, "auto_recharge.currency_code"),
    ({"channel_id": "chan-1"}, "auto_recharge.channel_id"),
    ({"account_id": "someone-else"}, "auto_recharge.account_id"),
]


@pytest.mark.parametrize(("change", "field"), BAD_RULES)
def test_bad_rules_name_the_field_and_change_nothing(
    recharging: Recharging, change: dict[str, object], field: str
) -> None:
    wallet = recharging.wallet
    account = wallet.create_account()
    values: dict[str, object] = {
        "enabled": True,
        "threshold_micros": 1_000,
        "amount_micros": 50_000,
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
    recharging: Recharging, provider: FakePaymentProvider
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, threshold=3 * SEND, amount=8 * SEND)
    spend(suite, account, 2)  # 2 sends left: below the threshold
    assert wallet.available(account)[0] == (4 - 2 + 8) * SEND
    [first] = recharged(wallet, account)
    assert first.amount.amount_micros == 8 * SEND
    # 2.5% of USD 0.20 is USD 0.005: the fee is quoted in whole cents, rounded half up.
    assert first.fee.amount_micros == CENT
    assert first.state == funds_pb2.TOP_UP_STATE_APPLIED
    [funding] = suite.fundings(account)
    assert (funding.source, funding.state) == ("auto_recharge", invoice_pb2.FUNDING_STATE_COMPLETED)
    assert first.idempotency_key.startswith("auto-recharge:")
    assert first.payment_reference.startswith("pi_")
    # The card paid the amount and the transaction fee, once.
    assert provider.charges == [("tok_visa", "USD", 8 * SEND + CENT)]
    spend(suite, account, 6)  # 4 left: above the threshold still
    assert len(recharged(wallet, account)) == 1
    spend(suite, account, 2)  # 2 left: a new crossing
    assert len(recharged(wallet, account)) == 2
    assert wallet.available(account)[0] == 10 * SEND
    listed = suite.recharges(account)
    assert [r.state for r in listed] == ["done", "done"]
    assert [[a.state for a in r.history] for r in listed] == [["succeeded"], ["succeeded"]]
    assert listed[0].history[0].payment_reference.startswith("pi_")


@pytest.mark.parametrize(("cool_off_s", "per_month"), [(3_600, 10), (0, 1)])
def test_the_cool_off_and_the_monthly_cap_hold_back_the_next_recharge(
    recharging: Recharging, cool_off_s: int, per_month: int
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND, cool_off_s=cool_off_s, per_month=per_month)
    spend(suite, account, 2)
    assert len(recharged(wallet, account)) == 1
    spend(suite, account, 3)  # 4 -> 1: back above, then below again
    assert len(recharged(wallet, account)) == 1
    assert wallet.available(account)[0] == SEND


def test_a_crossing_held_back_by_the_cool_off_fires_later_with_no_further_send(
    stepped_recharging: Recharging,
) -> None:
    suite, wallet = stepped_recharging, stepped_recharging.wallet
    clock = wallet.clock
    assert clock is not None
    account = wallet.create_account()
    suite.save_card(account)
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND, cool_off_s=1)
    spend(suite, account, 2)
    clock.step(10)
    spend(suite, account, 3)  # 4 -> 1: below again, inside the cool-off
    assert len(recharged(wallet, account)) == 1
    assert [r.state for r in suite.recharges(account)] == ["held", "done"]
    assert wallet.wallet.recharges.fire_due(limit=10) == 0  # not yet
    clock.step(1_000)  # the cool-off is over
    assert wallet.wallet.recharges.fire_due(limit=10) == 1  # no send needed
    suite.settle()
    assert len(recharged(wallet, account)) == 2
    assert wallet.available(account)[0] == 3 * SEND


def test_the_monthly_cap_holds_a_crossing_until_next_month(recharging: Recharging) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND, per_month=1)
    spend(suite, account, 2)
    spend(suite, account, 3)
    [held, _done] = suite.recharges(account)
    assert held.state == "held"
    next_month = held.next_attempt_time.ToDatetime(dt.UTC)
    assert (next_month.day, next_month.hour, next_month.minute) == (1, 0, 0)
    assert next_month > dt.datetime.now(dt.UTC)


def test_declines_back_off_then_stop_with_an_alert(
    tmp_path: Path, database_url: str, redis_url: str, provider: FakePaymentProvider
) -> None:
    settings = {"WALLET_RECHARGE_BACKOFF_SECONDS": "0"}
    for suite in serve_recharging(tmp_path, database_url, redis_url, provider, settings):
        wallet = suite.wallet
        account = wallet.create_account()
        suite.save_card(account, "tok_decline_insufficient_funds")
        wallet.top_up(account, 4 * SEND)
        set_rule(wallet, account, 3 * SEND, 2 * SEND)
        spend(suite, account, 2)
        for _ in range(10):
            wallet.wallet.recharges.fire_due(limit=10)
            suite.settle()
        [row] = suite.recharges(account)
        reason = "card_declined: insufficient_funds"
        assert (row.state, row.attempts, row.problem) == ("failed", 4, reason)
        assert (row.amount.amount_micros, row.fee.amount_micros) == (2 * SEND, 0)
        assert [(a.attempt, a.state, a.problem) for a in row.history] == [
            (n, "declined", reason) for n in range(1, 5)
        ]
        assert len({a.idempotency_key for a in row.history}) == 4
        assert recharged(wallet, account) == []
        assert provider.charges == []  # bounded: it cannot run away
        fundings = suite.fundings(account)
        assert [f.state for f in fundings] == [invoice_pb2.FUNDING_STATE_DECLINED] * 4
        with wallet.wallet.engine.connect() as connection:
            kinds = connection.execute(sa.select(tables.balance_alerts.c.kind)).scalars().all()
        assert "recharge_failed" in kinds


def test_with_no_payment_provider_the_decline_says_so_and_is_not_retried(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    for suite in serve_recharging(
        tmp_path,
        database_url,
        redis_url,
        NoPaymentProvider(),
        {"WALLET_RECHARGE_BACKOFF_SECONDS": "0"},
    ):
        wallet = suite.wallet
        account = wallet.create_account()
        wallet.top_up(account, 4 * SEND)
        set_rule(wallet, account, 3 * SEND, 2 * SEND)
        spend(suite, account, 2)
        spend(suite, account, 1)
        wallet.wallet.recharges.fire_due(limit=10)
        suite.settle()
        [row] = suite.recharges(account)
        assert row.state == "failed" and row.attempts == 1
        assert "no payment provider is configured" in row.problem
        assert recharged(wallet, account) == []
        assert wallet.available(account)[0] == SEND


def test_without_a_card_on_file_the_decline_says_so(recharging: Recharging) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(suite, account, 2)
    [row] = suite.recharges(account)
    assert (row.state, row.problem) == ("failed", "no default card on file")


def test_a_provider_that_was_down_is_asked_again_and_charges_once(
    recharging: Recharging, provider: FakePaymentProvider
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    provider.unreachable = True
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(suite, account, 2)
    assert [r.state for r in suite.recharges(account)] == ["requested"]
    provider.unreachable = False
    # The request is delivered again once its retry is due.
    settle_until(suite, lambda: [r.state for r in suite.recharges(account)] == ["done"])
    assert len(provider.charges) == 1 and len(recharged(wallet, account)) == 1
    assert wallet.available(account)[0] == 4 * SEND


def test_a_request_never_answered_is_given_up_after_a_day_with_an_alert(
    recharging: Recharging,
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    for _ in range(2):
        wallet.authorise(account)
    wallet.wallet.projector.drain()  # asked; invoicing never hears of it here
    day_ago = int(time.time() * 1000) - 24 * 3600 * 1000
    with wallet.wallet.engine.begin() as connection:
        connection.execute(tables.recharges.update().values(updated_ms=0))
        connection.execute(tables.recharge_attempts.update().values(requested_ms=day_ago))
    assert wallet.wallet.recharges.resume(limit=10) == 0
    [row] = suite.recharges(account)
    assert (row.state, row.problem) == ("failed", life.UNANSWERED_PROBLEM)
    with wallet.wallet.engine.connect() as connection:
        kinds = connection.execute(sa.select(tables.balance_alerts.c.kind)).scalars().all()
    assert "recharge_failed" in kinds


def test_a_card_removed_before_the_charge_declines_then_no_card_stops_it(
    tmp_path: Path, recharging: Recharging, provider: FakePaymentProvider
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    provider.unreachable = True
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(suite, account, 2)  # the request is taken, the provider cannot be reached
    invoicing_db = sa.create_engine(f"sqlite:///{tmp_path / 'invoicing.db'}")
    with invoicing_db.begin() as connection:
        connection.execute(invoicing_tables.payment_methods.delete())
    invoicing_db.dispose()
    provider.unreachable = False
    settle_until(suite, lambda: suite.recharges(account)[0].history[0].state != "requested")
    [row] = suite.recharges(account)
    assert [(a.state, a.problem) for a in row.history] == [
        ("declined", "the card was removed before it was charged")
    ]
    wallet.wallet.recharges.fire_due(limit=10)  # not before its back-off
    assert provider.charges == []


def test_a_request_asked_again_is_answered_again_and_never_charged_twice(
    recharging: Recharging, provider: FakePaymentProvider
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account)
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(suite, account, 2)
    table = tables.recharges
    with wallet.wallet.engine.begin() as connection:  # as if the answer had been lost
        connection.execute(table.update().values(state="requested", updated_ms=0))
    assert wallet.wallet.recharges.resume(limit=10) == 1
    suite.settle()
    assert [r.state for r in suite.recharges(account)] == ["done"]
    assert len(provider.charges) == 1 and len(recharged(wallet, account)) == 1


def test_3d_secure_waits_for_the_customer_then_the_event_pays_once(
    recharging: Recharging, provider: FakePaymentProvider
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account()
    suite.save_card(account, "tok_authenticate")
    wallet.top_up(account, 4 * SEND)
    set_rule(wallet, account, 3 * SEND, 2 * SEND)
    spend(suite, account, 2)
    [row] = suite.recharges(account)
    assert row.state == "action_required" and "3-D Secure" in row.problem
    assert wallet.wallet.recharges.fire_due(limit=10) == 0  # it waits for the customer
    [funding] = suite.fundings(account)
    payment_ref = f"pi_{provider_digest(funding.payment_id)}"
    provider.authenticate(payment_ref)
    payload = json.dumps(
        {"event_id": "evt-3ds", "kind": "payment_succeeded", "payment_ref": payment_ref}
    ).encode()
    suite.invoicing.HandlePaymentEvent(
        invoicing_pb.HandlePaymentEventRequest(
            provider="fake", payload=payload, signature=fake_signature(payload)
        ),
        timeout=DEADLINE_S,
    )
    suite.settle()
    [row] = suite.recharges(account)
    assert (row.state, [a.state for a in row.history]) == ("done", ["succeeded"])
    assert len(recharged(wallet, account)) == 1
    assert wallet.available(account)[0] == 4 * SEND


def test_3d_secure_never_completed_expires_untouched_and_is_tried_again(
    tmp_path: Path, database_url: str, redis_url: str, provider: FakePaymentProvider
) -> None:
    for suite in serve_recharging(
        tmp_path,
        database_url,
        redis_url,
        provider,
        {"WALLET_RECHARGE_BACKOFF_SECONDS": "0"},
        {"INVOICING_ACTION_EXPIRY_SECONDS": "0"},
    ):
        wallet = suite.wallet
        account = wallet.create_account()
        suite.save_card(account, "tok_authenticate")
        wallet.top_up(account, 4 * SEND)
        set_rule(wallet, account, 3 * SEND, 2 * SEND)
        spend(suite, account, 2)
        assert suite.wired.scheduler.expire_unauthenticated() == 1
        suite.settle()
        [funding] = suite.fundings(account)
        assert funding.state == invoice_pb2.FUNDING_STATE_EXPIRED
        [row] = suite.recharges(account)
        assert (row.state, row.history[0].state) == ("declined", "declined")
        assert "not completed in time" in row.problem
        assert wallet.available(account)[0] == 2 * SEND  # untouched
        assert provider.charges == []
        wallet.wallet.recharges.fire_due(limit=10)  # the next attempt asks again
        suite.settle()
        [row] = suite.recharges(account)
        assert (row.state, row.attempts) == ("action_required", 2)


def test_a_rule_per_phone_number_recharges_only_that_numbers_balance(
    recharging: Recharging,
) -> None:
    suite, wallet = recharging, recharging.wallet
    account = wallet.create_account(balance_scope=account_pb2.BALANCE_SCOPE_CHANNEL)
    suite.save_card(account)
    for channel in ("chan-1", "chan-2"):
        wallet.top_up(account, 4 * SEND, channel_id=channel)
    set_rule(wallet, account, 3 * SEND, 4 * SEND, channel="chan-1")
    spend(suite, account, 2, channel="chan-2")
    assert recharged(wallet, account) == []
    spend(suite, account, 2, channel="chan-1")
    [top_up] = recharged(wallet, account)
    assert top_up.channel_id == "chan-1"
    assert wallet.available(account, "chan-1")[0] == 6 * SEND
    assert wallet.available(account, "chan-2")[0] == 2 * SEND


@pytest.fixture
def two_wallets(
    tmp_path: Path, database_url: str, redis_url: str, provider: FakePaymentProvider
) -> Iterator[Recharging]:
    yield from serve_recharging(tmp_path, database_url, redis_url, provider, wallets=2)


def test_one_recharge_per_crossing_with_50_concurrent_sends_on_two_wallet_processes(
    two_wallets: Recharging, provider: FakePaymentProvider
) -> None:
    suite = two_wallets
    wallets = [suite.wallet, *suite.others]
    first = wallets[0]
    account = first.create_account()
    suite.save_card(account)
    first.top_up(account, 50 * SEND + SEND // 2)
    # The recharge never lifts the balance back above the threshold (39.5 + 0.4 sends):
    # the 50 sends make one crossing, and any second recharge would show.
    set_rule(first, account, threshold=40 * SEND, amount=CENT)
    sending = threading.Event()

    def project(wallet: WalletUnderTest) -> None:
        while sending.is_set():
            wallet.wallet.projector.step()
            wallet.wallet.watch.observe([(account, "", "USD")])

    sending.set()
    with ThreadPoolExecutor(max_workers=24) as pool:
        watchers = [pool.submit(project, w) for w in wallets for _ in range(2)]
        answers = list(pool.map(lambda n: wallets[n % 2].authorise(account, f"m-{n}"), range(50)))
        sending.clear()
        for watcher in watchers:
            watcher.result()
    for wallet in wallets:
        wallet.wallet.projector.drain()
        wallet.wallet.watch.observe([(account, "", "USD")])
    suite.settle()
    assert sum(a.reservation_id != "" for a in answers) == 50
    assert len(suite.recharges(account)) == 1
    assert len(provider.charges) == 1
    assert len(recharged(first, account)) == 1
    assert first.available(account)[0] == SEND // 2 + CENT


def provider_digest(text: str) -> str:
    """The fake provider's id of the payment it created for `text` (a payment id)."""
    return hashlib.sha256(f"{text}:create".encode()).hexdigest()[:24]


def fake_signature(payload: bytes) -> str:
    return hmac.new(FAKE_EVENT_KEY, payload, hashlib.sha256).hexdigest()
