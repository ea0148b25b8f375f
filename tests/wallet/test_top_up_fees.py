"""The transaction fee of a top-up: the account's rule or the wallet's default, charged on top
of the amount, shown on the top-up and booked as fee revenue in the ledger."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, _serve, wallet_env
from tests.wallet.helpers import field_of, refused, usd


@pytest.fixture
def charging(database_url: str, redis_url: str) -> Iterator[WalletUnderTest]:
    env = wallet_env(
        database_url,
        redis_url,
        WALLET_TOP_UP_FEE_BASIS_POINTS="250",
        WALLET_TOP_UP_FEE_MICROS="300000",
    )
    yield from _serve(env)


def top_up(wallet: WalletUnderTest, account: str, micros: int, key: str) -> pb.TopUpResponse:
    return wallet.stub.TopUp(
        pb.TopUpRequest(account_id=account, amount=usd(micros), idempotency_key=key),
        timeout=DEADLINE_S,
    )


def fee_entries(wallet: WalletUnderTest, account: str) -> list[tuple[str, int, int]]:
    wallet.wallet.projector.drain()
    entries = wallet.stub.ListLedgerEntries(
        pb.ListLedgerEntriesRequest(account_id=account), timeout=DEADLINE_S
    ).entries
    return [
        (e.ledger_account, e.debit_micros, e.credit_micros)
        for e in entries
        if e.kind == "top_up_fee"
    ]


def test_the_default_fee_is_charged_on_top_and_booked_as_revenue(
    charging: WalletUnderTest,
) -> None:
    wallet = charging
    account = wallet.create_account()
    answer = top_up(wallet, account, 10_000_000, "t-1").top_up
    assert answer.amount == usd(10_000_000)
    assert answer.fee == usd(250_000 + 300_000)
    assert wallet.available(account) == (10_000_000, 0)
    assert fee_entries(wallet, account) == [
        ("funding:top-ups:USD", 550_000, 0),
        ("revenue:top-up-fees:USD", 0, 550_000),
    ]
    assert top_up(wallet, account, 10_000_000, "t-1").top_up == answer  # a retry: one fee
    assert len(fee_entries(wallet, account)) == 2


@pytest.mark.parametrize(
    ("basis_points", "fixed", "amount", "fee"),
    [(0, 0, 1_000_000, 0), (1, 0, 5_000, 1), (1, 0, 4_999, 0), (333, 7, 1_000_001, 33_307)],
)
def test_an_accounts_own_rule_rounds_half_up(
    charging: WalletUnderTest, basis_points: int, fixed: int, amount: int, fee: int
) -> None:
    wallet = charging
    rule = account_pb2.TopUpFee(basis_points=basis_points, fixed_micros=fixed)
    account = wallet.create_account(top_up_fee=rule)
    assert top_up(wallet, account, amount, "t").top_up.fee == usd(fee)
    assert len(fee_entries(wallet, account)) == (2 if fee else 0)


def test_a_changed_rule_applies_to_later_top_ups(charging: WalletUnderTest) -> None:
    wallet = charging
    account = wallet.create_account(top_up_fee=account_pb2.TopUpFee(fixed_micros=1_000))
    assert top_up(wallet, account, 100_000, "a").top_up.fee == usd(1_000)
    wallet.stub.UpdateAccount(
        pb.UpdateAccountRequest(
            account_id=account, profile=account_pb2.AccountProfile(), update_mask="top_up_fee"
        ),
        timeout=DEADLINE_S,
    )
    assert top_up(wallet, account, 100_000, "b").top_up.fee == usd(2_500 + 300_000)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (account_pb2.TopUpFee(basis_points=10_001), "profile.top_up_fee.basis_points"),
        (account_pb2.TopUpFee(fixed_micros=-1), "profile.top_up_fee.fixed_micros"),
    ],
)
def test_a_bad_fee_rule_names_the_field(
    charging: WalletUnderTest, rule: account_pb2.TopUpFee, field: str
) -> None:
    request = pb.CreateAccountRequest(
        profile=account_pb2.AccountProfile(account_id="acme", currency_code="USD", top_up_fee=rule)
    )
    assert field_of(refused(charging.stub.CreateAccount, request)) == field
