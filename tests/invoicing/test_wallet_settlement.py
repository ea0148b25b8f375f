"""The rules of a paid postpaid invoice's settlement with the wallet, on plain values."""

from __future__ import annotations

from services.invoicing.domain import wallet_settlement as settlement
from services.invoicing.domain.wallet_settlement import CREDIT, TAKE_BACK, Movement


def test_the_first_credit_has_the_plain_key_and_later_ones_are_numbered() -> None:
    first = settlement.credit("inv_1", 0, 500)
    again = settlement.credit("inv_1", 1, 200)
    assert first == Movement(
        "invoice:inv_1:settle", CREDIT, "invoice:inv_1:settle", "payment:inv_1", 500
    )
    assert (again.movement_key, again.top_up_key) == ("invoice:inv_1:settle:2",) * 2


def test_net_and_credits_count_planned_movements_too() -> None:
    history = [
        settlement.credit("inv_1", 0, 500),
        Movement("refund:r1:1", TAKE_BACK, "invoice:inv_1:settle", "refund:r1", 300),
        settlement.credit("inv_1", 1, 300),
    ]
    assert settlement.net_micros(history) == 500
    assert settlement.credits_in(history) == 2
    assert settlement.net_micros([]) == settlement.credits_in([]) == 0


def test_a_take_back_is_split_over_the_credits_standing_newest_first() -> None:
    history = [
        settlement.credit("inv_1", 0, 500),
        Movement("refund:r1:1", TAKE_BACK, "invoice:inv_1:settle", "refund:r1", 300),
        settlement.credit("inv_1", 1, 300),
    ]
    parts = settlement.take_backs(history, 450, "dispute:d1")
    assert parts == [
        Movement("dispute:d1:1", TAKE_BACK, "invoice:inv_1:settle:2", "dispute:d1", 300),
        Movement("dispute:d1:2", TAKE_BACK, "invoice:inv_1:settle", "dispute:d1", 150),
    ]


def test_a_take_back_never_takes_more_than_stands() -> None:
    history = [settlement.credit("inv_1", 0, 100)]
    assert settlement.take_backs(history, 1_000, "refund:r1") == [
        Movement("refund:r1:1", TAKE_BACK, "invoice:inv_1:settle", "refund:r1", 100)
    ]
    assert settlement.take_backs(history, 0, "refund:r2") == []


def test_shares_round_half_up_on_running_totals_and_add_up_to_the_whole() -> None:
    # Charges 100 of a total of 300: a third of each reversal, rounded on the running totals.
    first = settlement.share_taken_back(100, 0, 1, 300)
    second = settlement.share_taken_back(100, 1, 2, 300)
    rest = settlement.share_taken_back(100, 2, 300, 300)
    assert (first, second) == (0, 1)
    assert first + second + rest == 100
    assert settlement.share_taken_back(100, 0, 150, 300) == 50
    assert settlement.share_taken_back(100, 0, 10_000, 300) == 100  # capped at the total


def test_the_reversal_reason_follows_its_cause() -> None:
    assert settlement.reversal_reason("dispute:dp_1") == "dispute"
    assert settlement.reversal_reason("refund:re_1") == "refund"
