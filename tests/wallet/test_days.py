"""Days: bought into a pool, allocated to channels as paid-through dates in the account's time
zone, returned when a channel is deleted; idempotent, validated, one account at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from billing.wallet.v1 import wallet_service_pb2 as pb

from tests.wallet.conftest import DEADLINE_S, WalletUnderTest
from tests.wallet.helpers import field_of, refused


def add_days(wallet: WalletUnderTest, account: str, days: int, key: str) -> int:
    answer = wallet.stub.AddDays(
        pb.AddDaysRequest(account_id=account, days=days, reference="PD-1", idempotency_key=key),
        timeout=DEADLINE_S,
    )
    return answer.pool_days


def register(wallet: WalletUnderTest, account: str, channel: str) -> None:
    wallet.stub.RegisterChannel(
        pb.RegisterChannelRequest(
            account_id=account, channel_id=channel, display_phone_number="+14155550100"
        ),
        timeout=DEADLINE_S,
    )


def allocate(
    wallet: WalletUnderTest, account: str, channel: str, days: int, key: str
) -> pb.AllocateDaysResponse:
    return wallet.stub.AllocateDays(
        pb.AllocateDaysRequest(
            account_id=account, channel_id=channel, days=days, idempotency_key=key
        ),
        timeout=DEADLINE_S,
    )


def today(zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def test_bought_days_fill_the_pool_once_per_key(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    assert add_days(wallet, account, 2_250, "invoice:inv-1:days") == 2_250
    assert add_days(wallet, account, 2_250, "invoice:inv-1:days") == 2_250
    assert add_days(wallet, account, 30, "invoice:inv-2:days") == 2_280
    conflict = refused(
        wallet.stub.AddDays,
        pb.AddDaysRequest(account_id=account, days=31, idempotency_key="invoice:inv-2:days"),
    )
    assert conflict.code() == grpc.StatusCode.ABORTED


def test_allocated_days_extend_a_channels_paid_through_date(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(time_zone="Asia/Kolkata")
    add_days(wallet, account, 100, "buy")
    register(wallet, account, "chan-1")
    first = allocate(wallet, account, "chan-1", 30, "a-1")
    start = today("Asia/Kolkata")
    assert first.pool_days == 70
    assert first.channel.days_remaining == 30
    assert first.channel.paid_through_date == (start + dt.timedelta(days=29)).isoformat()
    assert allocate(wallet, account, "chan-1", 30, "a-1") == first  # a retry moves nothing
    more = allocate(wallet, account, "chan-1", 10, "a-2")
    assert more.pool_days == 60
    assert more.channel.days_remaining == 40
    assert more.channel.paid_through_date == (start + dt.timedelta(days=39)).isoformat()


def test_days_count_in_the_accounts_time_zone(wallet: WalletUnderTest) -> None:
    # UTC+14 and UTC-11 are never on the same date.
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        account = wallet.create_account(time_zone=zone)
        add_days(wallet, account, 1, "buy")
        register(wallet, account, "chan-1")
        channel = allocate(wallet, account, "chan-1", 1, "a").channel
        assert channel.paid_through_date == today(zone).isoformat()
        assert channel.days_remaining == 1


def test_a_short_pool_refuses_the_allocation_and_moves_nothing(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    add_days(wallet, account, 5, "buy")
    register(wallet, account, "chan-1")
    short = refused(
        wallet.stub.AllocateDays,
        pb.AllocateDaysRequest(
            account_id=account, channel_id="chan-1", days=6, idempotency_key="k"
        ),
    )
    assert short.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = wallet.stub.ListChannels(
        pb.ListChannelsRequest(account_id=account), timeout=DEADLINE_S
    )
    assert listed.pool_days == 5
    assert listed.channels[0].days_remaining == 0 and listed.channels[0].paid_through_date == ""


def test_deleting_a_channel_returns_its_unused_whole_days(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    add_days(wallet, account, 100, "buy")
    register(wallet, account, "chan-1")
    allocate(wallet, account, "chan-1", 30, "a")
    request = pb.DeleteChannelRequest(account_id=account, channel_id="chan-1", idempotency_key="d")
    deleted = wallet.stub.DeleteChannel(request, timeout=DEADLINE_S)
    # Today is in use: the 29 days after it go back.
    assert deleted.returned_days == 29
    assert deleted.pool_days == 99
    assert deleted.channel.deleted and deleted.channel.days_remaining == 0
    assert wallet.stub.DeleteChannel(request, timeout=DEADLINE_S) == deleted
    again = wallet.stub.DeleteChannel(
        pb.DeleteChannelRequest(account_id=account, channel_id="chan-1"), timeout=DEADLINE_S
    )
    assert again.returned_days == 0 and again.pool_days == 99
    gone = refused(
        wallet.stub.AllocateDays,
        pb.AllocateDaysRequest(
            account_id=account, channel_id="chan-1", days=1, idempotency_key="x"
        ),
    )
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    register(wallet, account, "chan-1")  # registered again, with no days
    listed = wallet.stub.ListChannels(
        pb.ListChannelsRequest(account_id=account), timeout=DEADLINE_S
    )
    assert [(c.channel_id, c.deleted, c.days_remaining) for c in listed.channels] == [
        ("chan-1", False, 0)
    ]


def test_registering_is_idempotent_and_a_number_cannot_be_taken_over(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    register(wallet, account, "chan-1")
    register(wallet, account, "chan-1")
    taken = refused(
        wallet.stub.RegisterChannel,
        pb.RegisterChannelRequest(
            account_id=account, channel_id="chan-1", display_phone_number="+442071234567"
        ),
    )
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS


def test_one_account_never_sees_or_moves_another_accounts_channels(
    wallet: WalletUnderTest,
) -> None:
    owner, other = wallet.create_account(), wallet.create_account()
    add_days(wallet, owner, 10, "buy")
    add_days(wallet, other, 10, "buy")
    register(wallet, owner, "chan-owner")
    for call, request in (
        (
            wallet.stub.AllocateDays,
            pb.AllocateDaysRequest(
                account_id=other, channel_id="chan-owner", days=1, idempotency_key="k"
            ),
        ),
        (
            wallet.stub.DeleteChannel,
            pb.DeleteChannelRequest(account_id=other, channel_id="chan-owner"),
        ),
    ):
        assert refused(call, request).code() == grpc.StatusCode.NOT_FOUND
    listed = wallet.stub.ListChannels(pb.ListChannelsRequest(account_id=other), timeout=DEADLINE_S)
    assert list(listed.channels) == [] and listed.pool_days == 10
    unknown = refused(
        wallet.stub.AddDays, pb.AddDaysRequest(account_id="nobody", days=1, idempotency_key="k")
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


BAD = [
    (pb.AddDaysRequest(days=0, idempotency_key="k"), "AddDays", "days"),
    (pb.AddDaysRequest(days=-3, idempotency_key="k"), "AddDays", "days"),
    (pb.AddDaysRequest(days=3), "AddDays", "idempotency_key"),
    (pb.AddDaysRequest(days=3, reference="r" * 201, idempotency_key="k"), "AddDays", "reference"),
    (pb.RegisterChannelRequest(channel_id=""), "RegisterChannel", "channel_id"),
    (
        pb.RegisterChannelRequest(channel_id="c", display_phone_number="call me"),
        "RegisterChannel",
        "display_phone_number",
    ),
    (
        pb.AllocateDaysRequest(channel_id="chan-1", days=0, idempotency_key="k"),
        "AllocateDays",
        "days",
    ),
    (pb.AllocateDaysRequest(channel_id="chan-1", days=1), "AllocateDays", "idempotency_key"),
    (
        pb.AllocateDaysRequest(channel_id="", days=1, idempotency_key="k"),
        "AllocateDays",
        "channel_id",
    ),
    (pb.DeleteChannelRequest(channel_id="bad id"), "DeleteChannel", "channel_id"),
]


@pytest.mark.parametrize(("request_", "method", "field"), BAD)
def test_bad_input_names_the_field_and_moves_nothing(
    wallet: WalletUnderTest, request_: object, method: str, field: str
) -> None:
    account = wallet.create_account()
    add_days(wallet, account, 10, "buy")
    register(wallet, account, "chan-1")
    request_.account_id = account  # type: ignore[attr-defined]
    assert field_of(refused(getattr(wallet.stub, method), request_)) == field
    listed = wallet.stub.ListChannels(
        pb.ListChannelsRequest(account_id=account), timeout=DEADLINE_S
    )
    assert listed.pool_days == 10
    assert [(c.channel_id, c.days_remaining) for c in listed.channels] == [("chan-1", 0)]


def test_days_lost_by_redis_are_written_again_from_sql(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(time_zone="America/Sao_Paulo")
    add_days(wallet, account, 10, "buy")
    for channel in ("chan-1", "chan-2"):
        register(wallet, account, channel)
    allocate(wallet, account, "chan-1", 3, "a")
    wallet.stub.DeleteChannel(
        pb.DeleteChannelRequest(account_id=account, channel_id="chan-2"), timeout=DEADLINE_S
    )
    client = wallet.wallet.redis
    key = wallet.wallet.partitioner.keys(account).channel_days(account)
    before: Any = client.hgetall(key)
    ends = dt.datetime.combine(
        today("America/Sao_Paulo") + dt.timedelta(days=3),
        dt.time(),
        tzinfo=ZoneInfo("America/Sao_Paulo"),
    )
    assert before == {b"*": b"1", b"chan-1": str(int(ends.timestamp() * 1000)).encode()}
    client.delete(key)
    wallet.wallet.accounts.refresh(account)  # as after AuthoriseSend found the account missing
    assert client.hgetall(key) == before
