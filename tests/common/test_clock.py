"""The clock port's readings agree with one another: now_ns is the same instant as now_ms."""

from __future__ import annotations

import datetime as dt

import pytest

from services.common.clock import NS_PER_MS, CalledClock, SteppedClock, SystemClock


def test_a_stepped_clock_reads_to_the_nanosecond_and_moves_forward_only() -> None:
    clock = SteppedClock(start_ms=1_800_000_000_000)
    assert clock.now_ns() == 1_800_000_000_000 * NS_PER_MS
    clock.step_ns(400_000)
    assert clock.now_ms() == 1_800_000_000_000  # still within the same millisecond
    assert clock.step(2) == 1_800_000_000_002
    assert clock.now_ns() == 1_800_000_000_002 * NS_PER_MS + 400_000
    assert clock.monotonic_ms() == 2
    with pytest.raises(ValueError):
        clock.step_ns(-1)
    with pytest.raises(ValueError):
        SteppedClock(start_ms=1, start_ns=1)


def test_a_called_clock_and_the_system_clock_read_ns_as_the_same_instant_as_ms() -> None:
    called = CalledClock(lambda: dt.datetime(2027, 1, 2, 3, 4, 5, 678_901, tzinfo=dt.UTC))
    assert called.now_ns() // NS_PER_MS == called.now_ms()
    assert called.now_ns() % NS_PER_MS == 901_000
    system = SystemClock()
    before_ms = system.now_ms()
    reading = system.now_ns()
    assert before_ms <= reading // NS_PER_MS <= system.now_ms()
