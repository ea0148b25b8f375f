"""Metering tells the time by its injected clock: what day it is for approximate charges, and
which windows are still open for the hot store. Tests step the clock instead of waiting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from billing.metering.v1 import metering_service_pb2 as pb

from services.common.clock import SteppedClock
from tests.metering.conftest import Running
from tests.metering.helpers import inbound, profile
from tests.metering.test_usage import ACCOUNT, record_month

DAY_MS = 86_400_000


def _ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1_000)


def _charges(metering: Running, as_of: str = "") -> pb.GetApproximateChargesResponse:
    return metering.stub.GetApproximateCharges(
        pb.GetApproximateChargesRequest(account_id=ACCOUNT, as_of_date=as_of), timeout=10
    )


def test_approximate_charges_count_days_by_the_clock_in_the_account_time_zone(
    start_metering: Callable[..., Running],
) -> None:
    clock = SteppedClock(_ms("2026-03-15T09:59:00+00:00"))  # 03-15 23:59 in Kiritimati (UTC+14)
    metering = start_metering(clock=clock)
    record_month(metering)
    before = _charges(metering)
    assert (before.month, before.days_elapsed) == ("2026-03", 15)
    assert before.month_to_date == _charges(metering, as_of="2026-03-15").month_to_date
    assert before.month_to_date.amount_micros < 110_300
    clock.step(60_000)  # local midnight: the 16th, and m-6 delivered on it
    today = _charges(metering)
    assert (today.days_elapsed, today.month_to_date.amount_micros) == (16, 110_300)
    assert today.projected_month_end.amount_micros == 213_706  # 110,300 x 31 / 16
    clock.step(16 * DAY_MS)  # 04-01 local: a new month
    later = _charges(metering)
    assert (later.month, later.days_elapsed, later.days_in_month) == ("2026-04", 1, 30)
    assert later.month_to_date == _charges(metering, as_of="2026-04-01").month_to_date


def test_the_hot_store_mirrors_only_windows_open_by_the_clock(
    start_metering: Callable[..., Running],
) -> None:
    late = SteppedClock(_ms("2026-03-12T00:00:00+00:00"))  # two days after: the window is shut
    metering = start_metering(clock=late)
    metering.add_account("e-1", profile("acct-hc"))
    metering.record(inbound("acct-hc", "in-1", "2026-03-10T10:00:00+00:00"))
    assert list(metering.redis.scan_iter("metering:window:{acct-hc}:*")) == []

    early = SteppedClock(_ms("2026-03-10T11:00:00+00:00"))  # an hour after: still open
    metering = start_metering(clock=early)
    metering.add_account("e-2", profile("acct-ho"))
    metering.record(inbound("acct-ho", "in-1", "2026-03-10T10:00:00+00:00"))
    keys = list(metering.redis.scan_iter("metering:window:{acct-ho}:*"))
    expiries = {int(metering.redis.hget(key, "expire_us") or 0) for key in keys}
    assert _ms("2026-03-11T10:00:00+00:00") * 1_000 in expiries  # the 24-hour service window
