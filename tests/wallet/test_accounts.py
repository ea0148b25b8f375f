"""Accounts: SQL first, the hot copy follows, every change published through the outbox."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from billing.wallet.v1 import account_pb2, authorise_pb2, wallet_service_pb2

from services.wallet.service.settings import ACCOUNTS_STREAM
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest


def _events(wallet: WalletUnderTest) -> list[account_pb2.AccountChanged]:
    entries: Any = wallet.wallet.redis.xrange(ACCOUNTS_STREAM)
    for _id, fields in entries:
        assert fields[b"type"] == b"billing.wallet.v1.AccountChanged"
    return [account_pb2.AccountChanged.FromString(f[b"event"]) for _id, f in entries]


def test_create_and_update_publish_account_changed_once_each(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(display_name="Acme")
    wallet.top_up(account, 100_000)
    wallet.stub.UpdateAccount(
        wallet_service_pb2.UpdateAccountRequest(
            account_id=account,
            profile=account_pb2.AccountProfile(status=account_pb2.ACCOUNT_STATUS_SUSPENDED),
            update_mask="status",
            idempotency_key="suspend-1",
        ),
        timeout=DEADLINE_S,
    )
    suspended = wallet.authorise(account)
    assert suspended.deny_reason == authorise_pb2.DENY_REASON_ACCOUNT_SUSPENDED
    assert wallet.wallet.outbox.step() == 2
    assert wallet.wallet.outbox.step() == 0
    events = _events(wallet)
    assert [e.profile.status for e in events] == [
        account_pb2.ACCOUNT_STATUS_ACTIVE,
        account_pb2.ACCOUNT_STATUS_SUSPENDED,
    ]
    assert all(e.profile.display_name == "Acme" for e in events)
    assert len({e.event_id for e in events}) == 2
    got = wallet.stub.GetAccount(
        wallet_service_pb2.GetAccountRequest(account_id=account), timeout=DEADLINE_S
    ).account
    assert got.status == account_pb2.ACCOUNT_STATUS_SUSPENDED
    assert got.currency_code == "USD"


def test_currency_never_changes_and_a_different_second_create_is_refused(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    with pytest.raises(grpc.RpcError) as currency:
        wallet.stub.UpdateAccount(
            wallet_service_pb2.UpdateAccountRequest(
                account_id=account,
                profile=account_pb2.AccountProfile(currency_code="EUR"),
                update_mask="currency_code",
            ),
            timeout=DEADLINE_S,
        )
    assert currency.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (currency.value.details() or "").startswith("update_mask")
    assert wallet.create_account(account) == account  # a retry gets the first answer
    with pytest.raises(grpc.RpcError) as again:
        wallet.create_account(account, display_name="Someone else")
    assert again.value.code() in (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.ABORTED)
    assert len(wallet.wallet.accounts.all_views()) == 1
