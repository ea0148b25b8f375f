"""Properties of the wallet's money, over generated sequences of its real use cases (served
over gRPC, on real Redis and real SQL: SQLite, then PostgreSQL).

- Ledger conservation: every transaction balances; the balances the wallet shows are the sums
  of its postings and what a plain model of the same calls expects.
- The credit book: each credit's remaining is granted - redeemed - expired, never negative,
  and equals its ledger account. Time moves by stepping the wallet's clock, never by sleeping.

Each example works on an account of its own, so examples do not see one another; examples
are few and short to keep the suite fast.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from billing.common.v1 import category_pb2
from billing.wallet.v1 import authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.wallet.adapters import tables
from services.wallet.adapters.ledger_sql import balances_of
from services.wallet.domain import ledger
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest
from tests.wallet.helpers import usd

EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
INVOICE = "notifications_invoice"
DAY_MS = 86_400_000
SHORT_EXPIRY_MS = 1_000

top_ups = st.tuples(st.just("top_up"), st.integers(min_value=1, max_value=120_000))
sends = st.tuples(
    st.just("send"),
    st.sampled_from([category_pb2.CATEGORY_MARKETING, category_pb2.CATEGORY_UTILITY]),
)
commits = st.tuples(st.just("commit"), st.integers(min_value=0, max_value=100))  # % charged
releases = st.tuples(st.just("release"), st.integers(min_value=0, max_value=100))
money_steps = st.lists(st.one_of(top_ups, sends, commits, releases), min_size=1, max_size=12)


@dataclass
class MoneyModel:
    """What the calls should leave, worked out without the wallet."""

    available: int = 0
    reserved: int = 0
    topped_up: int = 0
    charged: int = 0
    open: list[tuple[str, int]] = field(default_factory=list)  # (reservation, amount)


def _step(wallet: WalletUnderTest, account: str, model: MoneyModel, kind: str, value: int) -> None:
    if kind == "top_up":
        wallet.top_up(account, value)
        model.available += value
        model.topped_up += value
    elif kind == "send":
        answer = wallet.authorise(account, category=value)
        price = answer.price.total.amount_micros
        if price == 0:
            assert answer.decision == authorise_pb2.DECISION_ALLOWED, answer.message
        elif model.available >= price:
            assert answer.decision == authorise_pb2.DECISION_ALLOWED, answer.message
            model.available -= price
            model.reserved += price
            model.open.append((answer.reservation_id, price))
        else:
            assert answer.decision == authorise_pb2.DECISION_DENIED
            assert answer.deny_reason == authorise_pb2.DENY_REASON_INSUFFICIENT_FUNDS
    elif model.open:
        reservation, amount = model.open.pop(value % len(model.open))
        if kind == "commit":
            charged = amount * value // 100
            wallet.stub.CommitReservation(
                authorise_pb2.CommitReservationRequest(
                    account_id=account, reservation_id=reservation, amount_micros=charged
                ),
                timeout=DEADLINE_S,
            )
        else:
            charged = 0
            wallet.stub.ReleaseReservation(
                authorise_pb2.ReleaseReservationRequest(
                    account_id=account, reservation_id=reservation
                ),
                timeout=DEADLINE_S,
            )
        model.available += amount - charged
        model.reserved -= amount
        model.charged += charged


Entry = tuple[str, str, str, int, int]  # transaction, ledger account, kind, debit, credit


def _entries(wallet: WalletUnderTest, account: str) -> list[Entry]:
    e = tables.ledger_entries.c
    with wallet.wallet.engine.connect() as connection:
        rows = connection.execute(
            sa.select(e.transaction_id, e.ledger_account, e.kind, e.debit_micros)
            .add_columns(e.credit_micros)
            .where(e.account_id == account)
        ).all()
    return [(row[0], row[1], row[2], int(row[3]), int(row[4])) for row in rows]


def _credit_normal(rows: list[Entry]) -> defaultdict[str, int]:
    """Each ledger account's balance (credits minus debits) over the rows; 0 for the others."""
    sums: defaultdict[str, int] = defaultdict(int)
    for _transaction, ledger_account, _kind, debit, credit in rows:
        sums[ledger_account] += credit - debit
    return sums


@EXAMPLES
@given(steps=money_steps)
def test_every_transaction_balances_and_balances_are_the_sums_of_postings(
    wallet: WalletUnderTest, steps: list[tuple[str, int]]
) -> None:
    account = wallet.create_account(f"prop-{uuid.uuid4().hex[:12]}")
    model = MoneyModel()
    for kind, value in steps:
        _step(wallet, account, model, kind, value)

    assert wallet.available(account) == (model.available, model.reserved)
    wallet.wallet.projector.drain()
    rows = _entries(wallet, account)
    per_transaction: dict[str, int] = defaultdict(int)
    for transaction, _account, _kind, debit, credit in rows:
        per_transaction[transaction] += debit - credit
    assert {t: net for t, net in per_transaction.items() if net} == {}
    sums = _credit_normal(rows)
    customer = {name: net for name, net in sums.items() if name.startswith("customer:")}
    assert sum(sums.values()) == 0  # postings leave no money unaccounted for
    assert sums[ledger.money_account(account, "USD")] == model.available
    assert sums[ledger.held_account(account, "USD")] == model.reserved
    assert sums[ledger.revenue_account("USD")] == model.charged
    assert sums[ledger.funding_account("USD")] == -model.topped_up
    with wallet.wallet.engine.connect() as connection:
        shown = {b.ledger_account: b.balance_micros for b in balances_of(connection, account)}
    assert shown == customer


grants = st.tuples(
    st.just("grant"),
    st.integers(min_value=1, max_value=100_000),  # amount
    st.integers(min_value=0, max_value=2),  # priority
    st.booleans(),  # expires within the example
)
redemptions = st.tuples(
    st.just("redeem"), st.integers(min_value=1, max_value=150_000), st.just(0), st.just(False)
)
time_passes = st.tuples(
    st.just("step"),
    st.integers(min_value=1, max_value=2 * SHORT_EXPIRY_MS),  # milliseconds
    st.just(0),
    st.just(False),
)
credit_steps = st.lists(st.one_of(grants, redemptions, time_passes), min_size=1, max_size=12)


@dataclass
class Credit:
    granted: int
    remaining: int
    short: bool
    expire_ms: int
    redeemed: int = 0


@EXAMPLES
@given(steps=credit_steps)
def test_a_credit_keeps_granted_minus_redeemed_minus_expired_never_below_zero(
    stepped_wallet: WalletUnderTest, steps: list[tuple[str, int, int, bool]]
) -> None:
    wallet, clock = stepped_wallet, stepped_wallet.clock
    assert clock is not None
    account = wallet.create_account(f"prop-{uuid.uuid4().hex[:12]}")
    credits: dict[str, Credit] = {}
    for number, (kind, amount, priority, short) in enumerate(steps):
        if kind == "step":
            clock.step(amount)
            continue
        if kind == "grant":
            expire = Timestamp()
            expire.FromMilliseconds(clock.now_ms() + (SHORT_EXPIRY_MS if short else 30 * DAY_MS))
            granted = wallet.stub.GrantCredit(
                pb.GrantCreditRequest(
                    account_id=account,
                    amount=usd(amount),
                    expire_time=expire,
                    priority=priority,
                    applies_to=[INVOICE],
                    reason="property",
                    idempotency_key=f"grant-{number}",
                ),
                timeout=DEADLINE_S,
            ).credit
            credits[granted.credit_id] = Credit(amount, amount, short, expire.ToMilliseconds())
            continue
        live = sum(c.remaining for c in credits.values() if c.expire_ms > clock.now_ms())
        answer = wallet.stub.RedeemCredits(
            pb.RedeemCreditsRequest(
                account_id=account,
                invoice_id=f"inv-{number}",
                applies_to=INVOICE,
                max_amount=usd(amount),
                idempotency_key=f"redeem-{number}",
            ),
            timeout=DEADLINE_S,
        )
        taken = answer.redeemed.amount_micros
        assert taken == min(amount, live)
        for redemption in answer.redemptions:
            credit = credits[redemption.credit_id]
            credit.remaining -= redemption.amount.amount_micros
            credit.redeemed += redemption.amount.amount_micros
            assert credit.remaining >= 0
        assert taken == sum(r.amount.amount_micros for r in answer.redemptions)

    short_expiries = [c.expire_ms for c in credits.values() if c.short]
    if short_expiries:
        clock.step(max(0, max(short_expiries) - clock.now_ms()))
        wallet.wallet.credits.write_off_expired(account)

    listed = wallet.stub.ListCredits(pb.ListCreditsRequest(account_id=account), timeout=DEADLINE_S)
    redeemed: dict[str, int] = defaultdict(int)
    for redemption in listed.redemptions:
        redeemed[redemption.credit_id] += redemption.amount.amount_micros
    rows = _entries(wallet, account)
    expired: dict[str, int] = defaultdict(int)
    for _transaction, ledger_account, kind, debit, _credit in rows:
        if kind == ledger.CREDIT_EXPIRE:
            expired[ledger_account] += debit
    sums = _credit_normal(rows)
    assert {c.credit_id for c in listed.credits} == set(credits)
    for shown in listed.credits:
        credit = credits[shown.credit_id]
        account_name = ledger.credit_account(account, "USD", shown.credit_id)
        remaining = shown.remaining.amount_micros
        assert shown.granted.amount_micros == credit.granted
        assert redeemed[shown.credit_id] == credit.redeemed
        assert remaining == credit.granted - credit.redeemed - expired[account_name]
        assert remaining >= 0
        assert remaining == sums[account_name]
        assert remaining == (0 if credit.short else credit.remaining)
