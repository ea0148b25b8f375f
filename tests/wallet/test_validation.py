"""Bad input: INVALID_ARGUMENT naming the field, and nothing written."""

from __future__ import annotations

import grpc
import pytest
from billing.common.v1 import category_pb2, money_pb2
from billing.wallet.v1 import account_pb2, authorise_pb2, wallet_service_pb2

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
