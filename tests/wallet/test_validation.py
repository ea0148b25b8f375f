"""Bad input: INVALID_ARGUMENT naming the field, and nothing written."""

from __future__ import annotations

import grpc
import pytest
from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import account_pb2, authorise_pb2, wallet_service_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from tests.wallet.conftest import DEADLINE_S, US_NUMBER, WalletUnderTest

GOOD = {
    "channel_id": "chan-1",
    "recipient": US_NUMBER,
    "category": category_pb2.CATEGORY_MARKETING,
    "is_template": True,
    "message_id": "m-1",
}
BAD_SENDS = [
    ({"category": 0}, "category"),
    ({"category": 42}, "category"),
    ({"recipient": "+12-abc"}, "recipient"),
    ({"recipient": "+1 011 555 0100"}, "recipient"),
    ({"message_id": ""}, "message_id"),
    ({"channel_id": ""}, "channel_id"),
    ({"is_template": False}, "is_template"),
]


@pytest.mark.parametrize(("change", "field"), BAD_SENDS)
def test_bad_sends_name_the_field_and_reserve_nothing(
    wallet: WalletUnderTest, change: dict[str, object], field: str
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    request = authorise_pb2.AuthoriseSendRequest(account_id=account, **{**GOOD, **change})  # type: ignore[arg-type]
    with pytest.raises(grpc.RpcError) as refused:
        wallet.stub.AuthoriseSend(request, timeout=DEADLINE_S)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith(field)
    assert wallet.available(account) == (100_000, 0)
    assert wallet.wallet.projector.drain() == 0


def test_negative_amounts_are_refused(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    reservation = wallet.authorise(account).reservation_id
    with pytest.raises(grpc.RpcError) as commit:
        wallet.stub.CommitReservation(
            authorise_pb2.CommitReservationRequest(
                account_id=account, reservation_id=reservation, amount_micros=-1
            ),
            timeout=DEADLINE_S,
        )
    assert (commit.value.details() or "").startswith("amount_micros")
    with pytest.raises(grpc.RpcError) as top_up:
        wallet.stub.TopUp(
            wallet_service_pb2.TopUpRequest(
                account_id=account,
                amount=money_pb2.Money(currency_code="USD", amount_micros=-5),
                idempotency_key="k-neg",
            ),
            timeout=DEADLINE_S,
        )
    assert top_up.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (top_up.value.details() or "").startswith("amount.amount_micros")
    assert wallet.available(account) == (75_000, 25_000)


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"account_id": ""}, "profile.account_id"),
        ({"currency_code": "XXX"}, "profile.currency_code"),
        ({"time_zone": "Mars/Olympus"}, "profile.time_zone"),
        ({"overdraft_limit_micros": 5}, "profile.overdraft_limit_micros"),
        ({"business_country": "india"}, "profile.business_country"),
    ],
)
def test_bad_profiles_create_no_account(
    wallet: WalletUnderTest, profile: dict[str, object], field: str
) -> None:
    fields: dict[str, object] = {"account_id": "acct-bad", "currency_code": "USD"}
    fields.update(profile)
    with pytest.raises(grpc.RpcError) as refused:
        wallet.stub.CreateAccount(
            wallet_service_pb2.CreateAccountRequest(profile=account_pb2.AccountProfile(**fields)),  # type: ignore[arg-type]
            timeout=DEADLINE_S,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith(field)
    assert wallet.wallet.accounts.all_views() == []


EFFECTIVE_TIME = "profile.authentication_international.effective_time"
BAD_EFFECTIVE_TIMES = [
    Timestamp(seconds=0, nanos=-1),
    Timestamp(seconds=0, nanos=1_000_000_000),
    Timestamp(seconds=253_402_300_800),  # 10000-01-01
    Timestamp(seconds=-62_135_596_801),  # before 0001-01-01
]


def _eligible_from(effective_time: Timestamp) -> account_pb2.AuthenticationInternational:
    return account_pb2.AuthenticationInternational(eligible=True, effective_time=effective_time)


@pytest.mark.parametrize("effective_time", BAD_EFFECTIVE_TIMES)
def test_an_eligibility_time_no_timestamp_holds_is_refused_and_nothing_stored(
    wallet: WalletUnderTest, effective_time: Timestamp
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    before = wallet.stub.GetAccount(
        wallet_service_pb2.GetAccountRequest(account_id=account), timeout=DEADLINE_S
    ).account
    with pytest.raises(grpc.RpcError) as update:
        wallet.stub.UpdateAccount(
            wallet_service_pb2.UpdateAccountRequest(
                account_id=account,
                profile=account_pb2.AccountProfile(
                    authentication_international=_eligible_from(effective_time)
                ),
                update_mask="authentication_international",
                idempotency_key="eligible-1",
            ),
            timeout=DEADLINE_S,
        )
    assert update.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (update.value.details() or "").startswith(EFFECTIVE_TIME)

    created = f"{account}-new"
    with pytest.raises(grpc.RpcError) as create:
        wallet.create_account(created, authentication_international=_eligible_from(effective_time))
    assert create.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (create.value.details() or "").startswith(EFFECTIVE_TIME)

    after = wallet.stub.GetAccount(
        wallet_service_pb2.GetAccountRequest(account_id=account), timeout=DEADLINE_S
    ).account
    assert after == before
    wallet.wallet.accounts.cache.invalidate(account)  # the next send reads SQL again
    assert [view.account_id for view in wallet.wallet.accounts.all_views()] == [account]
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_ALLOWED


@pytest.mark.parametrize(
    "effective_time",
    [Timestamp(seconds=-62_135_596_800), Timestamp(seconds=253_402_300_799, nanos=999_999_999)],
)
def test_an_eligibility_time_at_the_ends_of_a_timestamp_is_kept(
    wallet: WalletUnderTest, effective_time: Timestamp
) -> None:
    account = wallet.create_account(authentication_international=_eligible_from(effective_time))
    wallet.top_up(account, 100_000)
    wallet.wallet.accounts.cache.invalidate(account)
    got = wallet.stub.GetAccount(
        wallet_service_pb2.GetAccountRequest(account_id=account), timeout=DEADLINE_S
    ).account
    assert got.authentication_international.effective_time == effective_time
    assert wallet.authorise(account).decision == authorise_pb2.DECISION_ALLOWED
