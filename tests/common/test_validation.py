"""Shared request checks: each failure names the field."""

from __future__ import annotations

import pytest

from services.common import validation
from services.common.errors import InvalidArgument


@pytest.mark.parametrize("value", ["", " ", "a b", "x" * 129, "-leading", "é"])
def test_bad_ids_are_refused(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validation.require_id(value, "account_id")
    assert caught.value.field == "account_id"


def test_good_ids_pass() -> None:
    assert validation.require_id("acme-01:wa_1@x.y+z", "account_id") == "acme-01:wa_1@x.y+z"


def test_currency_and_amounts() -> None:
    assert validation.currency("INR", "amount.currency_code") == "INR"
    with pytest.raises(InvalidArgument, match=r"amount\.currency_code"):
        validation.currency("usd", "amount.currency_code")
    with pytest.raises(InvalidArgument, match="must not be negative"):
        validation.amount(-1, "amount.amount_micros")
    with pytest.raises(InvalidArgument, match="greater than zero"):
        validation.amount(0, "amount.amount_micros", positive=True)


def test_date_range_rules() -> None:
    start, end = validation.date_range("2026-02-10", "2026-03-09")
    assert (end - start).days == 27
    with pytest.raises(InvalidArgument) as caught:
        validation.date_range("2026-03-10", "2026-03-09")
    assert caught.value.field == "to_date"
    with pytest.raises(InvalidArgument) as caught:
        validation.date_range("2026-02-30", "2026-03-09")
    assert caught.value.field == "from_date"


def test_page_tokens_round_trip_and_reject_forgeries() -> None:
    limit, offset = validation.page(0, "")
    assert (limit, offset) == (validation.DEFAULT_PAGE_SIZE, 0)
    token = validation.next_page_token(0, 10, 10)
    assert validation.page(10, token) == (10, 10)
    assert validation.next_page_token(10, 10, 3) == ""
    assert validation.page(5000, "")[0] == validation.MAX_PAGE_SIZE
    for bad in ("garbage", "eyJvIjogLTF9"):
        with pytest.raises(InvalidArgument) as caught:
            validation.page(10, bad)
        assert caught.value.field == "page_token"
    with pytest.raises(InvalidArgument) as caught:
        validation.page(-1, "")
    assert caught.value.field == "page_size"
