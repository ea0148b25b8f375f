"""AuthoriseSend through gRPC: prices, funds, the answers a sender acts on."""

from __future__ import annotations

from billing.common.v1 import category_pb2
from billing.wallet.v1 import account_pb2, authorise_pb2

from tests.wallet.conftest import MARKETING_USD_MICROS, WalletUnderTest


def test_a_covered_send_is_allowed_priced_and_reserved(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    answer = wallet.authorise(account)
    assert answer.decision == authorise_pb2.DECISION_ALLOWED
    assert answer.price.total.amount_micros == MARKETING_USD_MICROS
    assert answer.price.meta_cost.amount_micros == MARKETING_USD_MICROS
    assert answer.price.market == "North America"
    assert answer.reservation_id
    assert answer.balance_after.amount_micros == 100_000 - MARKETING_USD_MICROS
    assert wallet.available(account) == (100_000 - MARKETING_USD_MICROS, MARKETING_USD_MICROS)


def test_zero_balance_is_refused_with_a_message_a_person_can_act_on(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    answer = wallet.authorise(account)
    assert answer.decision == authorise_pb2.DECISION_DENIED
    assert answer.deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS
    assert "Top up" in answer.message and "auto-recharge" in answer.message
    assert not answer.reservation_id
    assert wallet.available(account) == (0, 0)


def test_unknown_and_suspended_accounts_are_refused(wallet: WalletUnderTest) -> None:
    unknown = wallet.authorise("nobody-here")
    assert unknown.deny_reason == authorise_pb2.DENY_REASON_UNKNOWN_ACCOUNT
    account = wallet.create_account(status=account_pb2.ACCOUNT_STATUS_SUSPENDED)
    wallet.top_up(account, 100_000)
    suspended = wallet.authorise(account)
    assert suspended.decision == authorise_pb2.DECISION_DENIED
    assert suspended.deny_reason == authorise_pb2.DENY_REASON_ACCOUNT_SUSPENDED
    assert wallet.available(account) == (100_000, 0)


def test_soft_limit_accounts_are_flagged_down_to_their_overdraft(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(
        funding_mode=account_pb2.FUNDING_MODE_SOFT_LIMIT, overdraft_limit_micros=30_000
    )
    wallet.top_up(account, 10_000)
    first = wallet.authorise(account)
    assert first.decision == authorise_pb2.DECISION_ALLOWED_FLAGGED
    assert first.balance_after.amount_micros == 10_000 - MARKETING_USD_MICROS
    assert first.message
    second = wallet.authorise(account)
    assert second.decision == authorise_pb2.DECISION_DENIED
    assert second.deny_reason == authorise_pb2.DENY_REASON_OVERDRAFT_LIMIT_REACHED
    assert wallet.available(account) == (10_000 - MARKETING_USD_MICROS, MARKETING_USD_MICROS)


def test_a_retry_returns_the_first_answer_and_reserves_once(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 100_000)
    first = wallet.authorise(account, message_id="m-1")
    again = wallet.authorise(account, message_id="m-1")
    assert again.replayed and not first.replayed
    assert again.reservation_id == first.reservation_id
    assert again.price == first.price
    assert wallet.available(account) == (100_000 - MARKETING_USD_MICROS, MARKETING_USD_MICROS)


def test_funds_kept_per_phone_number_pay_only_for_that_number(wallet: WalletUnderTest) -> None:
    account = wallet.create_account(balance_scope=account_pb2.BALANCE_SCOPE_CHANNEL)
    wallet.top_up(account, 30_000, channel_id="chan-a")
    from_a = wallet.authorise(account, channel_id="chan-a")
    from_b = wallet.authorise(account, channel_id="chan-b")
    assert from_a.decision == authorise_pb2.DECISION_ALLOWED
    assert from_b.deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS
    assert wallet.available(account, "chan-a") == (30_000 - MARKETING_USD_MICROS, 25_000)
    assert wallet.available(account, "chan-b") == (0, 0)


def test_service_messages_are_priced_per_message_from_october_2026(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    wallet.top_up(account, 10_000)
    answer = wallet.authorise(account, category=category_pb2.CATEGORY_SERVICE)
    assert answer.decision == authorise_pb2.DECISION_ALLOWED
    assert answer.price.total.amount_micros == 3_400
