"""Background loops: busy loops step at once, idle loops poll less and less, down to a bound."""

from __future__ import annotations

import threading
import time

from services.common.background import Loop


class Steps:
    """A step that finds work `busy` times, then none; it records when it ran."""

    def __init__(self, busy: int = 0) -> None:
        self.busy = busy
        self.times: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            self.times.append(time.monotonic())
            if self.busy:
                self.busy -= 1
                return 1
            return 0

    def count(self) -> int:
        with self.lock:
            return len(self.times)


def test_an_idle_loop_waits_longer_after_each_idle_step_up_to_its_bound() -> None:
    steps = Steps()
    loop = Loop("idle", steps, interval_s=0.01, idle_max_s=0.16)
    loop.start()
    time.sleep(1.5)
    loop.stop()
    gaps = [later - earlier for earlier, later in zip(steps.times, steps.times[1:], strict=False)]
    # 0.01, 0.02, 0.04, 0.08, then 0.16 apart: about 12 steps in 1.5 s, not 150.
    assert 6 <= len(steps.times) <= 20, len(steps.times)
    assert gaps[0] < gaps[3]
    assert all(gap >= 0.15 for gap in gaps[4:])
    assert max(gaps) < 1.0


def test_work_makes_a_loop_step_again_at_once_and_resets_its_wait() -> None:
    steps = Steps(busy=50)
    loop = Loop("busy", steps, interval_s=0.2, idle_max_s=5.0)
    loop.start()
    deadline = time.monotonic() + 5
    while steps.count() < 52 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    assert steps.count() >= 52
    busy = steps.times[:51]
    # 50 steps with work and the first idle one, none of them waiting for the interval.
    assert busy[-1] - busy[0] < 0.2 * 10
    assert steps.times[51] - steps.times[50] >= 0.19


def test_without_a_bound_an_idle_loop_keeps_its_interval() -> None:
    steps = Steps()
    loop = Loop("steady", steps, interval_s=0.05)
    loop.start()
    time.sleep(0.6)
    loop.stop()
    gaps = [later - earlier for earlier, later in zip(steps.times, steps.times[1:], strict=False)]
    assert len(steps.times) >= 6
    assert max(gaps) < 0.5
