"""Top-ups: idempotent by key, SQL first, re-applied by the sweeper; balances and listings."""

from __future__ import annotations

import grpc
import pytest
from billing.common.v1 import money_pb2
from billing.wallet.v1 import funds_pb2, wallet_service_pb2

from services.wallet.service.commands.money import Money, TopUp
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest


def _request(account: str, micros: int, key: str) -> wallet_service_pb2.TopUpRequest:
    return wallet_service_pb2.TopUpRequest(
        account_id=account,
        amount=money_pb2.Money(currency_code="USD", amount_micros=micros),
        idempotency_key=key,
    )


def test_a_top_up_retried_with_its_key_is_applied_once(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    first = wallet.stub.TopUp(_request(account, 50_000, "k-1"), timeout=DEADLINE_S).top_up
    again = wallet.stub.TopUp(_request(account, 50_000, "k-1"), timeout=DEADLINE_S).top_up
    assert again.top_up_id == first.top_up_id
    assert first.state == funds_pb2.TOP_UP_STATE_APPLIED
    assert wallet.available(account) == (50_000, 0)
    with pytest.raises(grpc.RpcError) as conflict:
        wallet.stub.TopUp(_request(account, 60_000, "k-1"), timeout=DEADLINE_S)
    assert conflict.value.code() == grpc.StatusCode.ABORTED
    listed = wallet.stub.ListTopUps(
        wallet_service_pb2.ListTopUpsRequest(account_id=account), timeout=DEADLINE_S
    )
    assert [t.top_up_id for t in listed.top_ups] == [first.top_up_id]


def test_the_sweeper_applies_a_top_up_that_never_reached_redis(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    recorded = wallet.wallet.funds.record(
        TopUp(account, "", Money("USD", 70_000), idempotency_key="k-lost")
    )
    assert recorded.state == "recorded"
    assert wallet.available(account) == (0, 0)
    assert wallet.wallet.funds.apply_recorded(older_than_s=0, limit=10) == 1
    assert wallet.available(account) == (70_000, 0)
    assert wallet.wallet.funds.apply_recorded(older_than_s=0, limit=10) == 0
    wallet.stub.TopUp(_request(account, 70_000, "k-lost"), timeout=DEADLINE_S)
    assert wallet.available(account) == (70_000, 0)


def test_ledger_entries_page_and_balance(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    for _ in range(3):
        wallet.authorise(account)
    wallet.wallet.projector.drain()
    pages = []
    token = ""
    while True:
        page = wallet.stub.ListLedgerEntries(
            wallet_service_pb2.ListLedgerEntriesRequest(
                account_id=account, page_size=3, page_token=token
            ),
            timeout=DEADLINE_S,
        )
        pages.append(page.entries)
        token = page.next_page_token
        if not token:
            break
    entries = [entry for page in pages for entry in page]
    assert len(entries) == 2 + 3 * 2
    # The top-up debits funding 100,000; each hold debits money 25,000; credits match.
    assert sum(e.debit_micros for e in entries) == 100_000 + 3 * 25_000
    assert sum(e.credit_micros for e in entries) == 100_000 + 3 * 25_000
    other = wallet.create_account()
    none = wallet.stub.ListLedgerEntries(
        wallet_service_pb2.ListLedgerEntriesRequest(account_id=other), timeout=DEADLINE_S
    )
    assert list(none.entries) == []
