"""Anchor-day arithmetic of billing cycles, and the invoice rounding rule (pure domain)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.invoicing.domain import cards, cycles, invoices, money
from services.invoicing.domain.invoices import Line
from services.invoicing.service import ids

D = dt.date


def billing_dates(start: dt.date, count: int, months: int = 1) -> list[dt.date]:
    return [cycles.cycle(start, k, months).billing_date for k in range(count)]


def test_started_on_the_10th_is_billed_on_the_10th() -> None:
    assert billing_dates(D(2026, 3, 10), 3) == [D(2026, 4, 10), D(2026, 5, 10), D(2026, 6, 10)]
    first = cycles.cycle(D(2026, 3, 10), 0, 1)
    assert (first.start, first.end) == (D(2026, 3, 10), D(2026, 4, 9))


def test_started_on_the_31st_uses_the_last_day_of_shorter_months() -> None:
    dates = billing_dates(D(2026, 1, 31), 5)
    assert dates == [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31), D(2026, 6, 30)]
    february = cycles.cycle(D(2026, 1, 31), 1, 1)
    assert (february.start, february.end) == (D(2026, 2, 28), D(2026, 3, 30))


def test_started_on_the_31st_in_a_leap_year_is_billed_on_29_february() -> None:
    assert billing_dates(D(2028, 1, 31), 2) == [D(2028, 2, 29), D(2028, 3, 31)]


def test_started_on_29_february_falls_back_to_28_february_then_returns() -> None:
    monthly = billing_dates(D(2024, 2, 29), 2)
    assert monthly == [D(2024, 3, 29), D(2024, 4, 29)]
    yearly = billing_dates(D(2024, 2, 29), 4, months=12)
    assert yearly == [D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)]


def test_a_cycle_crosses_the_year() -> None:
    december = cycles.cycle(D(2025, 12, 15), 0, 1)
    assert (december.start, december.end, december.full_days) == (
        D(2025, 12, 15),
        D(2026, 1, 14),
        31,
    )


def test_cycle_containing_a_day() -> None:
    start = D(2026, 1, 31)
    assert cycles.cycle_containing(start, D(2026, 3, 30), 1).start == D(2026, 2, 28)
    assert cycles.cycle_containing(start, D(2026, 3, 31), 1).start == D(2026, 3, 31)
    assert cycles.cycle_containing(start, D(2026, 1, 1), 1).index == 0


def test_a_cycle_cut_by_cancellation_is_partial() -> None:
    cut = cycles.cycle(D(2026, 3, 10), 0, 1, end_date=D(2026, 3, 20))
    assert (cut.days, cut.full_days, cut.is_partial) == (11, 31, True)
    with pytest.raises(ValueError):
        cycles.cycle(D(2026, 3, 10), 1, 1, end_date=D(2026, 3, 20))


def test_an_annual_cycle_is_cut_into_anchored_months() -> None:
    year = cycles.cycle(D(2026, 1, 31), 0, 12)
    slices = cycles.month_slices(year, 31)
    assert len(slices) == 12
    assert slices[0] == (D(2026, 1, 31), D(2026, 2, 27))
    assert slices[1] == (D(2026, 2, 28), D(2026, 3, 30))
    assert slices[-1] == (D(2026, 12, 31), D(2027, 1, 30))


def test_rounding_half_up_to_the_minor_unit() -> None:
    assert money.round_to_minor_unit(1_005_000, "USD") == 1_010_000
    assert money.round_to_minor_unit(1_004_999, "USD") == 1_000_000
    assert money.round_to_minor_unit(-1_005_000, "USD") == -1_010_000
    assert money.round_to_minor_unit(1_500_000, "JPY") == 2_000_000
    assert money.round_to_minor_unit(1_000_500, "KWD") == 1_001_000


def test_tax_is_rounded_once_on_the_totals_not_per_line() -> None:
    # Three lines of 0.0034 each: rounded per line they would be 0.00; once, 0.01.
    lines = [Line.priced("utility", "notifications", 1, 3_400) for _ in range(3)]
    totals = invoices.totals(lines, 1800, "USD")
    assert totals.subtotal_micros == 10_000
    assert totals.tax_micros == 0  # 18 % of 0.01 = 0.0018 -> 0.00
    big = invoices.totals([Line.amount("fee", "fee", 49_990_000)], 1800, "USD")
    assert (big.subtotal_micros, big.tax_micros) == (49_990_000, 9_000_000)  # 8.9982 -> 9.00


def test_untaxed_lines_are_left_out_of_the_tax() -> None:
    lines = [
        Line.amount("top-up", "top_up", 100_000_000, taxable=False),
        Line.amount("fee", "transaction_fee", 2_500_000),
    ]
    totals = invoices.totals(lines, 1800, "INR")
    assert totals.tax_micros == 450_000
    assert totals.total_micros == 102_950_000


def test_format_amount_keeps_extra_decimals_only_where_present() -> None:
    assert money.format_amount(1_234_500_000, "USD") == "USD 1,234.50"
    assert money.format_amount(3_400, "USD") == "USD 0.0034"
    assert money.format_amount(5_000_000, "JPY") == "JPY 5"


@pytest.mark.parametrize(
    "text",
    ["4242424242424242", "tok 4111-1111-1111-1111", "5555 5555 5555 4444", "x378282246310005y"],
)
def test_card_numbers_are_recognised(text: str) -> None:
    assert cards.looks_like_card_number(text)


@pytest.mark.parametrize(
    "text",
    ["order-20260315-1234", "4242424242424241", "1234567890", ids.new_id("inv"), "tok_visa"],
)
def test_ids_and_short_numbers_are_not_card_numbers(text: str) -> None:
    assert not cards.looks_like_card_number(text)


def test_generated_ids_never_hold_long_digit_runs() -> None:
    for _ in range(2_000):
        assert not cards.PAN_PATTERN.search(ids.new_id("inv"))
