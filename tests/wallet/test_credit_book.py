"""The plain rules of credits for messages: which grant pays, where unused credit goes back,
and the double entry of a reservation paid partly by credit."""

from __future__ import annotations

import pytest

from services.wallet.domain import ledger
from services.wallet.domain.credit_book import (
    CreditBook,
    CreditParts,
    CreditShortfall,
    Grant,
    split_charge,
)


def book() -> CreditBook:
    return CreditBook.of(
        [
            Grant("late", priority=1, expire_ms=3_000, created_ms=1, remaining_micros=20),
            Grant("first", priority=0, expire_ms=9_000, created_ms=2, remaining_micros=10),
            Grant("soon", priority=1, expire_ms=2_000, created_ms=3, remaining_micros=20),
        ]
    )


def test_the_lowest_priority_number_then_the_earliest_expiry_pays_first() -> None:
    assert book().take(35, at_ms=0) == (("first", 10), ("soon", 20), ("late", 5))


def test_a_grant_expired_at_the_hold_does_not_pay() -> None:
    credits = book()
    assert credits.take(25, at_ms=2_000) == (("first", 10), ("late", 15))
    with pytest.raises(CreditShortfall):
        credits.take(6, at_ms=2_000)


def test_unused_credit_goes_back_last_taken_first_and_a_gone_grant_forfeits() -> None:
    credits = book()
    held = credits.take(35, at_ms=0)
    assert credits.give_back(held, 7) == CreditParts((("late", 5), ("soon", 2)))
    assert credits.remove("soon") == 2
    assert credits.give_back(held, 30) == CreditParts((("late", 5), ("first", 5)), 20)
    with pytest.raises(ValueError):
        credits.give_back(held, 36)


def test_a_commit_charges_credit_first() -> None:
    assert split_charge(10_000, 20_000) == (10_000, 10_000)
    assert split_charge(30_000, 20_000) == (20_000, 0)
    assert split_charge(0, 20_000) == (0, 20_000)


@pytest.mark.parametrize("kind", [ledger.COMMIT, ledger.RELEASE, ledger.EXPIRE])
def test_each_part_of_a_reservation_posts_balanced_legs(kind: str) -> None:
    hold = ledger.Fact(ledger.HOLD, "acme", "", "USD", "r-1", 25_000, 0, 1, credit_micros=10_000)
    held = CreditParts((("g-1", 4_000), ("g-2", 6_000)))
    posted = ledger.post(hold, held)
    assert sum(leg.debit_micros for leg in posted.legs) == 25_000
    actual = 12_000 if kind == ledger.COMMIT else 0
    settled = ledger.Fact(kind, "acme", "", "USD", "r-1", 25_000, actual, 2, credit_micros=10_000)
    unused = 0 if kind == ledger.COMMIT else 10_000
    back = CreditParts((("g-2", unused // 2),), unused - unused // 2)
    legs = ledger.post(settled, back).legs
    by_account = {leg.ledger_account: leg for leg in legs}
    assert by_account[ledger.credit_held_account("acme", "USD")].debit_micros == 10_000
    assert sum(leg.debit_micros for leg in legs) == sum(leg.credit_micros for leg in legs)


def test_credit_legs_that_do_not_add_up_are_refused() -> None:
    hold = ledger.Fact(ledger.HOLD, "acme", "", "USD", "r-1", 25_000, 0, 1, credit_micros=10_000)
    with pytest.raises(ledger.LedgerInvariantError):
        ledger.post(hold, CreditParts((("g-1", 9_000),)))
    release = ledger.Fact(ledger.RELEASE, "acme", "", "USD", "r-1", 25_000, 0, 2, credit_micros=10)
    with pytest.raises(ledger.LedgerInvariantError):
        ledger.post(release)
