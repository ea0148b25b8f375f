"""The send path of a days account: a channel sends while it has paid days, counted in the
account's time zone; without them every send on it is refused with a clear reason."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from billing.common.v1 import category_pb2
from billing.wallet.v1 import account_pb2, authorise_pb2, funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from google.protobuf import timestamp_pb2

from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, US_NUMBER, WalletUnderTest

ZONE = "Asia/Kolkata"
NO_DAYS = authorise_pb2.DENY_REASON_CHANNEL_HAS_NO_DAYS


def days_account(wallet: WalletUnderTest, zone: str = ZONE, **profile: object) -> str:
    account = wallet.create_account(None, time_zone=zone, **profile)
    wallet.top_up(account, 20 * MARKETING_USD_MICROS)
    wallet.stub.AddDays(
        pb.AddDaysRequest(account_id=account, days=10, idempotency_key="buy"), timeout=DEADLINE_S
    )
    for channel in ("chan-1", "chan-2"):
        wallet.stub.RegisterChannel(
            pb.RegisterChannelRequest(account_id=account, channel_id=channel), timeout=DEADLINE_S
        )
    wallet.stub.AllocateDays(
        pb.AllocateDaysRequest(
            account_id=account, channel_id="chan-1", days=2, idempotency_key="a"
        ),
        timeout=DEADLINE_S,
    )
    return account


def at(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(dt.UTC))
    return stamp


def test_a_channel_sends_while_it_has_paid_days(wallet: WalletUnderTest) -> None:
    account = days_account(wallet)
    allowed = wallet.authorise(account, channel_id="chan-1")
    assert allowed.decision == authorise_pb2.DECISION_ALLOWED
    for channel in ("chan-2", "chan-unregistered"):
        refused = wallet.authorise(account, channel_id=channel)
        assert refused.decision == authorise_pb2.DECISION_DENIED
        assert refused.deny_reason == NO_DAYS
        assert "no paid days" in refused.message and refused.reservation_id == ""
    assert wallet.available(account) == (19 * MARKETING_USD_MICROS, MARKETING_USD_MICROS)


# UTC+5:30, UTC+14 and UTC-8/-7: the last paid day ends at the account's midnight, not UTC's.
@pytest.mark.parametrize("zone", [ZONE, "Pacific/Kiritimati", "America/Los_Angeles"])
def test_paid_days_end_at_midnight_in_the_accounts_time_zone(
    wallet: WalletUnderTest, zone: str
) -> None:
    account = days_account(wallet, zone)
    today = dt.datetime.now(ZoneInfo(zone)).date()
    ends = dt.datetime.combine(today + dt.timedelta(days=2), dt.time(), tzinfo=ZoneInfo(zone))
    last = wallet.authorise(
        account, channel_id="chan-1", send_time=at(ends - dt.timedelta(seconds=1))
    )
    assert last.decision == authorise_pb2.DECISION_ALLOWED
    over = wallet.authorise(account, channel_id="chan-1", send_time=at(ends))
    assert over.deny_reason == NO_DAYS
    # A service reply is free, but the channel itself has no paid days: refused too.
    free = wallet.authorise(
        account,
        channel_id="chan-1",
        category=category_pb2.CATEGORY_SERVICE,
        send_time=at(ends),
        free_entry_point=True,
    )
    assert free.deny_reason == NO_DAYS


def test_a_deleted_channel_no_longer_sends(wallet: WalletUnderTest) -> None:
    account = days_account(wallet)
    wallet.stub.DeleteChannel(
        pb.DeleteChannelRequest(account_id=account, channel_id="chan-1"), timeout=DEADLINE_S
    )
    assert wallet.authorise(account, channel_id="chan-1").deny_reason == NO_DAYS


def test_a_campaign_on_a_channel_without_days_is_refused(wallet: WalletUnderTest) -> None:
    account = days_account(wallet)
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-2",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_BEST_EFFORT,
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"b-{n}") for n in range(3)
        ],
    )
    answer = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    assert answer.denied_count == 3
    assert {d.deny_reason for d in answer.decisions} == {NO_DAYS}
    assert wallet.available(account) == (20 * MARKETING_USD_MICROS, 0)
    request.channel_id = "chan-1"
    for recipient in request.recipients:
        recipient.message_id += "-again"
    assert wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S).allowed_count == 3


def test_an_account_without_channels_is_not_a_days_account(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, MARKETING_USD_MICROS)
    assert wallet.authorise(account, channel_id="any").decision == authorise_pb2.DECISION_ALLOWED


def test_a_phone_number_shown_on_a_money_account_does_not_need_days(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, MARKETING_USD_MICROS)
    wallet.stub.RegisterChannel(
        pb.RegisterChannelRequest(
            account_id=account, channel_id="chan-1", display_phone_number="+919812345678"
        ),
        timeout=DEADLINE_S,
    )
    sent = wallet.authorise(account, channel_id="chan-1")
    assert sent.decision == authorise_pb2.DECISION_ALLOWED  # not a days account: it bought none


def test_the_balance_shows_the_pool_and_each_channel_s_days(wallet: WalletUnderTest) -> None:
    account = days_account(wallet)
    balances = wallet.stub.GetBalance(
        pb.GetBalanceRequest(account_id=account), timeout=DEADLINE_S
    ).balances
    days = {b.channel_id: b.days for b in balances if b.kind == funds_pb2.ASSET_KIND_DAYS}
    assert days == {"": 8, "chan-1": 2, "chan-2": 0}


def test_an_all_or_nothing_campaign_names_the_missing_days(wallet: WalletUnderTest) -> None:
    account = days_account(wallet)
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-2",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
        recipients=[authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id="c-1")],
    )
    answer = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    assert answer.deny_reason == NO_DAYS and "no paid days" in answer.message
    assert answer.reserved_total.amount_micros == 0


def test_a_retried_campaign_gets_its_first_answers_after_the_days_are_gone(
    wallet: WalletUnderTest,
) -> None:
    account = days_account(wallet)
    request = authorise_pb2.AuthoriseBatchRequest(
        account_id=account,
        channel_id="chan-1",
        category=category_pb2.CATEGORY_MARKETING,
        is_template=True,
        mode=authorise_pb2.BATCH_MODE_BEST_EFFORT,
        recipients=[
            authorise_pb2.BatchRecipient(recipient=US_NUMBER, message_id=f"r-{n}") for n in range(2)
        ],
    )
    first = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    assert first.allowed_count == 2
    wallet.stub.DeleteChannel(
        pb.DeleteChannelRequest(account_id=account, channel_id="chan-1"), timeout=DEADLINE_S
    )
    request.recipients.add(recipient=US_NUMBER, message_id="r-new")
    again = wallet.stub.AuthoriseBatch(request, timeout=DEADLINE_S)
    kept = [(d.decision, d.reservation_id) for d in again.decisions[:2]]
    assert kept == [(d.decision, d.reservation_id) for d in first.decisions]
    assert again.decisions[2].deny_reason == NO_DAYS
    assert wallet.available(account) == (18 * MARKETING_USD_MICROS, 2 * MARKETING_USD_MICROS)


def test_a_soft_limit_account_is_refused_not_flagged_without_days(
    wallet: WalletUnderTest,
) -> None:
    account = days_account(
        wallet,
        funding_mode=account_pb2.FUNDING_MODE_SOFT_LIMIT,
        overdraft_limit_micros=100 * MARKETING_USD_MICROS,
    )
    refused = wallet.authorise(account, channel_id="chan-2")
    assert refused.decision == authorise_pb2.DECISION_DENIED
    assert refused.deny_reason == NO_DAYS
    assert wallet.authorise(account, channel_id="chan-1").decision == authorise_pb2.DECISION_ALLOWED


def test_a_retried_send_gets_its_first_answer_after_the_days_are_gone(
    wallet: WalletUnderTest,
) -> None:
    account = days_account(wallet)
    first = wallet.authorise(account, "m-1", channel_id="chan-1")
    wallet.stub.DeleteChannel(
        pb.DeleteChannelRequest(account_id=account, channel_id="chan-1"), timeout=DEADLINE_S
    )
    again = wallet.authorise(account, "m-1", channel_id="chan-1")
    assert again.replayed and again.reservation_id == first.reservation_id
    assert wallet.authorise(account, "m-2", channel_id="chan-1").deny_reason == NO_DAYS


def test_the_days_gate_holds_on_a_redis_cluster(any_redis_wallet: WalletUnderTest) -> None:
    test_a_channel_sends_while_it_has_paid_days(any_redis_wallet)
    test_a_campaign_on_a_channel_without_days_is_refused(any_redis_wallet)
