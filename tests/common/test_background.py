"""Background loops, by a stepped clock: busy loops step at once, idle loops poll less and less
down to a bound, failing loops back off (bounded, with bounded jitter), stop ends any wait, and
stopping workers is bounded: one that hangs is named and left behind."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator

import pytest
import redis

from services.common.background import (
    JITTER_SHARE,
    MAX_BACKOFF_S,
    MIN_BACKOFF_S,
    MIN_IDLE_WAIT_S,
    STOP_REPORT_S,
    Backoff,
    Loop,
    StreamConsumer,
    stop_workers,
)
from services.common.clock import SteppedClock
from services.common.streams import MAX_BLOCK_MS, GroupReader


def no_jitter() -> float:
    return 0.0


def test_an_idle_loop_waits_twice_as_long_after_each_idle_step_up_to_its_bound() -> None:
    backoff = Backoff(0.01, 0.16, no_jitter)
    waits = [backoff.after_idle() for _ in range(7)]
    assert waits == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.16, 0.16, 0.16])


def test_work_steps_again_at_once_and_resets_the_idle_wait() -> None:
    backoff = Backoff(0.2, 5.0, no_jitter)
    backoff.after_idle()
    backoff.after_idle()
    assert backoff.after_work() == 0.0
    assert backoff.after_idle() == pytest.approx(0.2)


def test_without_a_bound_an_idle_loop_keeps_its_interval() -> None:
    backoff = Backoff(0.05, None, no_jitter)
    assert [backoff.after_idle() for _ in range(4)] == pytest.approx([0.05] * 4)


def test_an_idle_loop_never_spins() -> None:
    assert Backoff(0.0, None, no_jitter).after_idle() == MIN_IDLE_WAIT_S


def test_a_failing_loop_backs_off_exponentially_up_to_the_bound() -> None:
    backoff = Backoff(0.01, None, no_jitter)
    waits = [backoff.after_failure() for _ in range(10)]
    assert waits[0] == MIN_BACKOFF_S
    assert waits[:7] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, MAX_BACKOFF_S])
    assert max(waits) == MAX_BACKOFF_S
    assert backoff.failing
    assert backoff.after_idle() == pytest.approx(0.01)  # success ends the backoff
    assert not backoff.failing
    assert backoff.after_failure() == MIN_BACKOFF_S


def test_a_slow_loop_fails_no_more_often_than_it_runs() -> None:
    backoff = Backoff(3600.0, None, no_jitter)
    assert backoff.after_failure() == 3600.0
    assert backoff.after_failure() == 3600.0


def test_jitter_only_shortens_a_wait_and_by_a_bounded_share() -> None:
    draws = random.Random(7)
    backoff = Backoff(1.0, None, draws.random)
    waits = [backoff.after_idle() for _ in range(500)]
    assert all(1.0 - JITTER_SHARE <= wait <= 1.0 for wait in waits)
    assert len(set(waits)) > 400  # spread, not one value
    steepest = Backoff(1.0, None, lambda: 1.0)
    assert steepest.after_idle() == pytest.approx(1.0 - JITTER_SHARE)


class SteppedSleep:
    """A sleep that steps the clock by the wait instead of waiting, then blocks for real only
    once `limit` waits were asked for (until the loop is stopped)."""

    def __init__(self, clock: SteppedClock, limit: int) -> None:
        self.clock = clock
        self.limit = limit
        self.waits: list[float] = []
        self.reached = threading.Event()

    def __call__(self, event: threading.Event, seconds: float) -> bool:
        if len(self.waits) >= self.limit:
            self.reached.set()
            return event.wait(30)
        self.waits.append(seconds)
        self.clock.step(round(seconds * 1000))
        return event.is_set()


def test_a_loop_thread_waits_as_its_backoff_says_and_stops_during_a_wait() -> None:
    clock = SteppedClock(start_ms=0)
    sleep = SteppedSleep(clock, limit=6)
    outcomes: Iterator[int | Exception] = iter(
        [RuntimeError("down"), RuntimeError("down"), 3, 1, 0, 0, 0, 0, 0]
    )
    steps: list[int] = []

    def step() -> int:
        steps.append(clock.now_ms())
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    loop = Loop("stepped", step, interval_s=0.5, idle_max_s=2.0, sleep=sleep, jitter=no_jitter)
    loop.start()
    assert sleep.reached.wait(5)
    loop.stop()  # ends the wait the loop is in
    # Failures back off 1 s then 2 s; work steps at once; idle waits 0.5, 1, 2, 2 s.
    assert sleep.waits == pytest.approx([1.0, 2.0, 0.5, 1.0, 2.0, 2.0])
    assert steps == [0, 1000, 3000, 3000, 3000, 3500, 4500, 6500, 8500]
    assert clock.now_ms() == 8500


class Stuck:
    """A step that never returns until released: a Redis or gRPC call hung past any budget."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> int:
        self.entered.set()
        self.release.wait(30)
        return 0


class SteppedJoin:
    """A loop as stop_workers sees it, its waits stepping the clock instead of taking time."""

    def __init__(self, loop: Loop, clock: SteppedClock) -> None:
        self.name = loop.name
        self.last_step = False
        self._loop = loop
        self._clock = clock

    def request_stop(self) -> None:
        self._loop.request_stop()

    def join(self, timeout_s: float) -> bool:
        if self._loop.join(0):
            return True
        self._clock.step(round(timeout_s * 1000))
        return False

    @property
    def stepping_for_ms(self) -> int:
        return self._loop.stepping_for_ms


class Idle:
    """A worker that stops as soon as it is asked."""

    name = "outbox-relay"
    last_step = False
    stepping_for_ms = 0

    def __init__(self) -> None:
        self.asked = False

    def request_stop(self) -> None:
        self.asked = True

    def join(self, timeout_s: float) -> bool:
        return self.asked


def test_stopping_workers_waits_a_bounded_time_and_names_the_one_that_hangs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SteppedClock()
    stuck = Stuck()
    hanging = Loop("recharge-requests", stuck, interval_s=0.01, clock=clock)
    hanging.start()
    assert stuck.entered.wait(5)
    timeout_s = STOP_REPORT_S + 0.5
    began_ms = clock.monotonic_ms()
    try:
        with caplog.at_level(logging.INFO, logger="services.common.background"):
            left = stop_workers([SteppedJoin(hanging, clock), Idle()], timeout_s, clock)
        waited_ms = clock.monotonic_ms() - began_ms
    finally:
        stuck.release.set()
    assert left == ["recharge-requests"]
    assert waited_ms == timeout_s * 1000  # the bound, to the millisecond
    waiting = [r for r in caplog.records if r.getMessage() == "waiting for a worker to stop"]
    assert [getattr(r, "worker", "") for r in waiting] == ["recharge-requests"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [getattr(r, "worker", "") for r in errors] == ["recharge-requests"]
    assert getattr(errors[0], "stepping_for_ms", 0) >= timeout_s * 1000
    assert hanging.join(5)  # released, it ends at once


def test_a_loop_told_to_stop_ends_its_wait_and_says_it_stopped() -> None:
    loop = Loop("idle", lambda: 0, interval_s=60.0)
    loop.start()
    assert loop.stop(timeout_s=5)
    assert loop.stepping_for_ms == 0


@pytest.mark.parametrize("block_ms", [0, MAX_BLOCK_MS + 1])
def test_a_consumer_never_blocks_forever_nor_past_the_bound(block_ms: int) -> None:
    reader = GroupReader(redis.Redis(), "billing.some.stream", "group", "consumer")
    with pytest.raises(ValueError, match="block_ms"):
        StreamConsumer(reader, lambda entries: None, alerts=None, block_ms=block_ms)  # type: ignore[arg-type]


@pytest.mark.parametrize("block_ms", [0, MAX_BLOCK_MS + 1])
def test_a_group_reader_never_blocks_forever_nor_past_the_bound(block_ms: int) -> None:
    reader = GroupReader(redis.Redis(), "billing.some.stream", "group", "consumer")
    with pytest.raises(ValueError, match="block_ms"):
        reader.read(1, block_ms)  # refused before Redis is asked


def test_a_loop_with_a_last_step_takes_it_once_asked_to_stop() -> None:
    committed: list[str] = []
    published: list[str] = []
    stepped = threading.Event()

    def relay() -> int:
        published.extend(committed[len(published) :])
        stepped.set()
        return 0

    loop = Loop("outbox-relay", relay, interval_s=60.0, last_step=True)
    loop.start()
    assert stepped.wait(5)
    committed.append("row")  # a call commits as the drain ends; no wake reaches the loop
    assert loop.stop(timeout_s=5)
    assert published == ["row"]
