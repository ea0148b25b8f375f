"""Every field has a bound: values a Timestamp or the hot path cannot hold are refused with
INVALID_ARGUMENT naming the field, quoting at most a short prefix, and nothing is written."""

from __future__ import annotations

import grpc
import pytest
from billing.common.v1 import category_pb2
from billing.wallet.v1 import account_pb2, authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from google.protobuf import timestamp_pb2

from tests.wallet.conftest import DEADLINE_S, WalletUnderTest
from tests.wallet.helpers import field_of

HUGE = "x" * 10_000


def refusal(call: object, request: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as refused:
        call(request, timeout=DEADLINE_S)  # type: ignore[operator]
    return refused.value


@pytest.mark.parametrize(
    "send_time",
    [
        timestamp_pb2.Timestamp(seconds=-1),
        timestamp_pb2.Timestamp(seconds=253_402_300_800),
        timestamp_pb2.Timestamp(seconds=1_800_000_000, nanos=-5),
    ],
)
def test_a_send_time_a_timestamp_cannot_hold_is_refused(
    wallet: WalletUnderTest, send_time: timestamp_pb2.Timestamp
) -> None:
    account = wallet.create_account()
    for call in (
        lambda: wallet.authorise(account, send_time=send_time),
        lambda: wallet.stub.AuthoriseBatch(
            authorise_pb2.AuthoriseBatchRequest(
                account_id=account,
                channel_id="chan-1",
                category=category_pb2.CATEGORY_MARKETING,
                is_template=True,
                mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
                recipients=[
                    authorise_pb2.BatchRecipient(recipient="+12125550100", message_id="b-1")
                ],
                send_time=send_time,
            ),
            timeout=DEADLINE_S,
        ),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            call()
        assert field_of(refused.value) == "send_time"


def test_a_long_value_is_quoted_short_and_never_breaks_the_answer(
    wallet: WalletUnderTest,
) -> None:
    error = refusal(
        wallet.stub.CreateAccount,
        pb.CreateAccountRequest(
            profile=account_pb2.AccountProfile(
                account_id="acct-long", currency_code="USD", time_zone=HUGE
            )
        ),
    )
    assert field_of(error) == "profile.time_zone"
    assert len(error.details() or "") < 200


def test_a_fee_that_would_overflow_every_send_is_refused(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    for prices, field in (
        (
            account_pb2.PriceList(fee_per_message_micros=2**63 - 1),
            "profile.price_list.fee_per_message_micros",
        ),
        (
            account_pb2.PriceList(markup_basis_points=2**62),
            "profile.price_list.markup_basis_points",
        ),
    ):
        error = refusal(
            wallet.stub.UpdateAccount,
            pb.UpdateAccountRequest(
                account_id=account,
                profile=account_pb2.AccountProfile(price_list=prices),
                update_mask="price_list",
            ),
        )
        assert field_of(error) == field
    assert wallet.authorise(account).decision  # the account still answers
