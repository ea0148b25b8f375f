"""The plain rules: double entry per fact, funds decisions, partitions and their hash tags."""

from __future__ import annotations

import pytest

from services.wallet.domain import decisions, ledger
from services.wallet.domain.partitions import Keys, partition_of


@pytest.mark.parametrize("kind", sorted(ledger.KINDS))
def test_every_fact_posts_a_balanced_transaction(kind: str) -> None:
    fact = ledger.Fact(kind, "acme", "", "USD", "ref-1", 25_000, 20_000, 1)
    transaction = ledger.post(fact)
    debits = sum(leg.debit_micros for leg in transaction.legs)
    credits = sum(leg.credit_micros for leg in transaction.legs)
    assert debits == credits
    assert len(set(transaction.entry_ids())) == len(transaction.legs)


def test_a_commit_above_its_hold_cannot_be_posted() -> None:
    with pytest.raises(ledger.LedgerInvariantError):
        ledger.post(ledger.Fact(ledger.COMMIT, "acme", "", "USD", "r", 25_000, 25_001, 1))


def test_a_commit_returns_what_it_did_not_charge() -> None:
    legs = ledger.post(ledger.Fact(ledger.COMMIT, "acme", "c1", "USD", "r", 25_000, 20_000, 1)).legs
    assert {(leg.ledger_account, leg.debit_micros, leg.credit_micros) for leg in legs} == {
        ("customer:acme:held:USD:c1", 25_000, 0),
        ("revenue:messages:USD", 0, 20_000),
        ("customer:acme:money:USD:c1", 0, 5_000),
    }


@pytest.mark.parametrize(
    ("available", "price", "overdraft", "expected"),
    [
        (25_000, 25_000, None, decisions.ALLOWED),
        (24_999, 25_000, None, decisions.DENIED),
        (0, 25_000, 25_000, decisions.FLAGGED),
        (0, 25_001, 25_000, decisions.DENIED),
    ],
)
def test_funds_decisions(available: int, price: int, overdraft: int | None, expected: str) -> None:
    assert decisions.funds_decision(available, price, overdraft) == expected


def test_every_key_of_an_account_carries_its_partition_tag() -> None:
    partition = partition_of("acme", 16)
    keys = Keys(partition)
    tag = f"{{p{partition:02d}}}"
    for key in (keys.ledger, keys.expiry, keys.balances("acme"), keys.message("acme", "m")):
        assert tag in key
    assert partition == partition_of("acme", 16)
