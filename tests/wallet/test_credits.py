"""Credits: granted, listed with what is left and where they went, redeemed against invoices
by priority then earliest expiry, once per key, in double entry; expired ones written off."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import sqlalchemy as sa
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.adapters import tables
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest
from tests.wallet.helpers import field_of, in_seconds, refused, usd

DAY_S = 86_400
INVOICE = "notifications_invoice"


def grant(
    wallet: WalletUnderTest,
    account: str,
    micros: int,
    key: str,
    priority: int = 0,
    expire_s: float = 30 * DAY_S,
    applies_to: tuple[str, ...] = (INVOICE,),
    now_ms: int | None = None,
) -> str:
    expire_time = in_seconds(expire_s)
    if now_ms is not None:  # the wallet's clock is the test's
        expire_time.FromMilliseconds(now_ms + int(expire_s * 1000))
    answer = wallet.stub.GrantCredit(
        pb.GrantCreditRequest(
            account_id=account,
            amount=usd(micros),
            expire_time=expire_time,
            priority=priority,
            applies_to=applies_to,
            reason="welcome offer",
            idempotency_key=key,
        ),
        timeout=DEADLINE_S,
    )
    return answer.credit.credit_id


def redeem(
    wallet: WalletUnderTest, account: str, invoice: str, micros: int, key: str = ""
) -> pb.RedeemCreditsResponse:
    return wallet.stub.RedeemCredits(
        pb.RedeemCreditsRequest(
            account_id=account,
            invoice_id=invoice,
            applies_to=INVOICE,
            max_amount=usd(micros),
            idempotency_key=key or f"invoice:{invoice}:credits",
        ),
        timeout=DEADLINE_S,
    )


def remaining(wallet: WalletUnderTest, account: str) -> dict[str, int]:
    listed = wallet.stub.ListCredits(pb.ListCreditsRequest(account_id=account), timeout=DEADLINE_S)
    return {c.credit_id: c.remaining.amount_micros for c in listed.credits}


def test_redemption_spends_by_priority_then_earliest_expiry(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    late = grant(wallet, account, 100_000, "late", priority=1, expire_s=30 * DAY_S)
    first = grant(wallet, account, 50_000, "first", priority=0, expire_s=60 * DAY_S)
    soon = grant(wallet, account, 70_000, "soon", priority=1, expire_s=10 * DAY_S)
    messages = grant(wallet, account, 40_000, "msgs", priority=0, applies_to=("messages",))

    answer = redeem(wallet, account, "inv-1", 130_000)

    assert answer.redeemed == usd(130_000)
    assert [(r.credit_id, r.amount.amount_micros) for r in answer.redemptions] == [
        (first, 50_000),
        (soon, 70_000),
        (late, 10_000),
    ]
    assert remaining(wallet, account) == {late: 90_000, first: 0, soon: 0, messages: 40_000}
    listed = wallet.stub.ListCredits(pb.ListCreditsRequest(account_id=account), timeout=DEADLINE_S)
    assert {r.invoice_id for r in listed.redemptions} == {"inv-1"}
    assert sum(r.amount.amount_micros for r in listed.redemptions) == 130_000
    granted = next(c for c in listed.credits if c.credit_id == late)
    assert granted.granted == usd(100_000) and granted.priority == 1
    assert list(granted.applies_to) == [INVOICE] and granted.reason == "welcome offer"


def test_a_redemption_retried_with_its_key_spends_once(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    grant(wallet, account, 100_000, "g-1")
    first = redeem(wallet, account, "inv-7", 60_000)
    again = redeem(wallet, account, "inv-7", 60_000)
    assert again == first
    assert sum(remaining(wallet, account).values()) == 40_000
    conflict = refused(
        wallet.stub.RedeemCredits,
        pb.RedeemCreditsRequest(
            account_id=account,
            invoice_id="inv-7",
            applies_to=INVOICE,
            max_amount=usd(70_000),
            idempotency_key="invoice:inv-7:credits",
        ),
    )
    assert conflict.code() == grpc.StatusCode.ABORTED
    # Never more than is left; then nothing.
    assert redeem(wallet, account, "inv-8", 1_000_000).redeemed == usd(40_000)
    assert redeem(wallet, account, "inv-9", 1_000_000).redeemed == usd(0)


def test_a_grant_retried_with_its_key_is_granted_once(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    request = pb.GrantCreditRequest(
        account_id=account,
        amount=usd(25_000),
        expire_time=in_seconds(DAY_S),
        applies_to=[INVOICE],
        idempotency_key="promo",
    )
    first = wallet.stub.GrantCredit(request, timeout=DEADLINE_S).credit
    assert wallet.stub.GrantCredit(request, timeout=DEADLINE_S).credit == first
    assert remaining(wallet, account) == {first.credit_id: 25_000}
    request.amount.amount_micros = 30_000
    assert refused(wallet.stub.GrantCredit, request).code() == grpc.StatusCode.ABORTED


def test_concurrent_redemptions_never_spend_more_than_was_granted(
    wallet: WalletUnderTest,
) -> None:
    account = wallet.create_account()
    grant(wallet, account, 60_000, "a", priority=0)
    grant(wallet, account, 40_000, "b", priority=1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: redeem(wallet, account, f"inv-{n}", 30_000), range(10)))
    spent = [a.redeemed.amount_micros for a in answers]
    assert sum(spent) == 100_000
    assert sorted(spent, reverse=True)[:3] == [30_000, 30_000, 30_000]
    assert sum(remaining(wallet, account).values()) == 0


def test_expired_credits_are_not_redeemed_and_are_written_off(
    stepped_wallet: WalletUnderTest,
) -> None:
    wallet, clock = stepped_wallet, stepped_wallet.clock
    assert clock is not None
    account = wallet.create_account()
    short = grant(wallet, account, 80_000, "short", expire_s=1.0, now_ms=clock.now_ms())
    kept = grant(wallet, account, 10_000, "kept", now_ms=clock.now_ms())
    clock.step(1_000)  # the short grant's expiry: from now on it pays nothing
    assert redeem(wallet, account, "inv-1", 50_000).redeemed == usd(10_000)
    assert remaining(wallet, account) == {short: 0, kept: 0}
    with wallet.wallet.engine.connect() as connection:
        kinds = connection.execute(
            sa.select(tables.ledger_entries.c.kind, tables.ledger_entries.c.credit_micros).where(
                tables.ledger_entries.c.account_id == account
            )
        ).all()
    assert ("credit_expire", 80_000) in kinds
    assert wallet.wallet.credits.write_off_expired() == 0


BAD_GRANTS = [
    ({"amount": usd(10, "EUR")}, "amount.currency_code"),
    ({"amount": usd(0)}, "amount.amount_micros"),
    ({"amount": usd(-5)}, "amount.amount_micros"),
    ({"expire_time": None}, "expire_time"),
    ({"expire_time": in_seconds(-60)}, "expire_time"),
    ({"priority": -1}, "priority"),
    ({"applies_to": []}, "applies_to"),
    ({"applies_to": ["subscription_invoice"]}, "applies_to[0]"),
    ({"applies_to": ["messages", "messages"]}, "applies_to[1]"),
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"reason": "x" * 201}, "reason"),
]


@pytest.mark.parametrize(("change", "field"), BAD_GRANTS)
def test_bad_grants_name_the_field_and_write_nothing(
    wallet: WalletUnderTest, change: dict[str, object], field: str
) -> None:
    account = wallet.create_account()
    values: dict[str, object] = {
        "account_id": account,
        "amount": usd(10_000),
        "expire_time": in_seconds(DAY_S),
        "applies_to": [INVOICE],
        "idempotency_key": "k",
    }
    values.update(change)
    request = pb.GrantCreditRequest(**{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]
    assert field_of(refused(wallet.stub.GrantCredit, request)) == field
    assert remaining(wallet, account) == {}
    wallet.wallet.projector.drain()
    with wallet.wallet.engine.connect() as connection:
        assert (
            connection.execute(
                sa.select(sa.func.count()).select_from(tables.ledger_entries)
            ).scalar()
            == 0
        )


BAD_REDEMPTIONS = [
    ({"invoice_id": ""}, "invoice_id"),
    ({"applies_to": "everything"}, "applies_to"),
    ({"max_amount": usd(10, "INR")}, "max_amount.currency_code"),
    ({"max_amount": usd(-1)}, "max_amount.amount_micros"),
    ({"idempotency_key": ""}, "idempotency_key"),
]


@pytest.mark.parametrize(("change", "field"), BAD_REDEMPTIONS)
def test_bad_redemptions_name_the_field_and_spend_nothing(
    wallet: WalletUnderTest, change: dict[str, object], field: str
) -> None:
    account = wallet.create_account()
    credit = grant(wallet, account, 10_000, "g")
    values: dict[str, object] = {
        "account_id": account,
        "invoice_id": "inv-1",
        "applies_to": INVOICE,
        "max_amount": usd(5_000),
        "idempotency_key": "k",
    }
    values.update(change)
    request = pb.RedeemCreditsRequest(**values)  # type: ignore[arg-type]
    assert field_of(refused(wallet.stub.RedeemCredits, request)) == field
    assert remaining(wallet, account) == {credit: 10_000}


def test_one_account_never_sees_or_spends_another_accounts_credits(
    wallet: WalletUnderTest,
) -> None:
    owner, other = wallet.create_account(), wallet.create_account()
    credit = grant(wallet, owner, 10_000, "g")
    assert remaining(wallet, other) == {}
    assert redeem(wallet, other, "inv-1", 5_000).redeemed == usd(0)
    assert remaining(wallet, owner) == {credit: 10_000}
    unknown = refused(
        wallet.stub.RedeemCredits,
        pb.RedeemCreditsRequest(
            account_id="nobody",
            invoice_id="inv-1",
            applies_to=INVOICE,
            max_amount=usd(1),
            idempotency_key="k",
        ),
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
