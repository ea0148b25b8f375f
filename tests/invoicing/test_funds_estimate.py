""" "Balance needed": the last 30 whole days of paid consumption as the account counts days (its
time zone, today left out), scaled to the days asked for, rounded up to a payable amount."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import TIMEOUT_S

# 02:00 UTC on 1 May is still 30 April in Los Angeles, already 1 May in Kolkata.
NOW = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
MARKETING_MICROS = 25_000


@pytest.mark.parametrize(
    ("time_zone", "from_date", "to_date", "consumption"),
    [
        ("America/Los_Angeles", "2026-03-31", "2026-04-29", 300_000),
        ("Asia/Kolkata", "2026-04-01", "2026-04-30", 300_000 + 600_000),
    ],
)
def test_balance_needed_counts_the_accounts_own_days(
    start_invoicing: Callable[..., Invoicing],
    time_zone: str,
    from_date: str,
    to_date: str,
    consumption: int,
) -> None:
    invoicing = start_invoicing(clock=lambda: NOW)
    acme = invoicing.account("acme", time_zone=time_zone)
    for day, micros in ((dt.date(2026, 4, 29), 300_000), (dt.date(2026, 4, 30), 600_000)):
        # Marketing templates to US numbers at noon UTC: 25,000 micros each.
        invoicing.backends.deliver(acme, day, micros // MARKETING_MICROS)
    answer = invoicing.stub.EstimateFundsNeeded(
        pb.EstimateFundsNeededRequest(account_id=acme, days=30), timeout=TIMEOUT_S
    )
    assert (answer.from_date, answer.to_date) == (from_date, to_date)
    assert answer.consumption.amount_micros == consumption
    assert answer.amount.amount_micros == consumption  # 30 days of 30 days' consumption
