"""Funding modes: postpaid accounts send against a credit limit; terms are kept by the day they
take effect, and a switch scheduled for a later day (a cycle's start) applies on that day."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from billing.wallet.v1 import account_pb2, authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb

from tests.wallet.conftest import DEADLINE_S, MARKETING_USD_MICROS, WalletUnderTest
from tests.wallet.test_settlement import charge, deliver

PRICE = MARKETING_USD_MICROS
POSTPAID = account_pb2.FUNDING_MODE_POSTPAID
PREPAID = account_pb2.FUNDING_MODE_PREPAID


def periods(
    wallet: WalletUnderTest, account: str, start: str, end: str
) -> pb.GetFundingPeriodsResponse:
    return wallet.stub.GetFundingPeriods(
        pb.GetFundingPeriodsRequest(account_id=account, from_date=start, to_date=end),
        timeout=DEADLINE_S,
    )


def test_a_postpaid_account_sends_until_its_credit_limit(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(funding_mode=POSTPAID, credit_limit_micros=2 * PRICE)
    first = wallet.authorise(account, "m-1")
    assert first.decision == authorise_pb2.DECISION_ALLOWED  # not flagged: it is the terms
    assert wallet.authorise(account, "m-2").decision == authorise_pb2.DECISION_ALLOWED
    refused = wallet.authorise(account, "m-3")
    assert refused.deny_reason == authorise_pb2.DENY_REASON_CREDIT_LIMIT_REACHED
    assert "credit limit" in refused.message
    deliver(wallet, charge(account, "m-1", PRICE), charge(account, "m-2", PRICE))
    assert wallet.available(account) == (-2 * PRICE, 0)  # what the account owes


def test_limits_belong_to_their_modes(wallet: WalletUnderTest) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"funding_mode": PREPAID, "credit_limit_micros": 1}, "credit_limit_micros"),
        ({"funding_mode": POSTPAID, "overdraft_limit_micros": 1}, "overdraft_limit_micros"),
    ]
    for profile, field in cases:
        with pytest.raises(grpc.RpcError) as refused:
            wallet.create_account(None, **profile)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (refused.value.details() or "")


def test_a_switch_on_a_later_day_waits_for_that_day(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    today = dt.datetime.now(dt.UTC).date()
    later = today + dt.timedelta(days=10)
    wallet.stub.UpdateAccount(
        pb.UpdateAccountRequest(
            account_id=account,
            profile=account_pb2.AccountProfile(funding_mode=POSTPAID, credit_limit_micros=PRICE),
            update_mask="funding_mode,credit_limit_micros",
            funding_effective_date=later.isoformat(),
        ),
        timeout=DEADLINE_S,
    )
    current = wallet.stub.GetAccount(pb.GetAccountRequest(account_id=account), timeout=DEADLINE_S)
    assert current.account.funding_mode == PREPAID  # until the day comes
    assert wallet.authorise(account).deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS
    answer = periods(wallet, account, today.isoformat(), (later + dt.timedelta(days=5)).isoformat())
    assert [(p.funding_mode, p.from_date, p.to_date) for p in answer.periods] == [
        (PREPAID, today.isoformat(), (later - dt.timedelta(days=1)).isoformat()),
        (POSTPAID, later.isoformat(), (later + dt.timedelta(days=5)).isoformat()),
    ]
    assert wallet.wallet.accounts.apply_scheduled_funding(10) == 0  # not yet


def test_a_switch_dated_in_the_past_is_refused(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    with pytest.raises(grpc.RpcError) as refused:
        wallet.stub.UpdateAccount(
            pb.UpdateAccountRequest(
                account_id=account,
                profile=account_pb2.AccountProfile(funding_mode=POSTPAID),
                update_mask="funding_mode",
                funding_effective_date="2020-01-01",
            ),
            timeout=DEADLINE_S,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith("funding_effective_date")
