"""The per-credential rate limit as its injected clock moves: refilled by elapsed (monotonic)
time only."""

from __future__ import annotations

from services.common.clock import NS_PER_MS, SteppedClock
from services.gateway.service.rate_limit import RateLimiter


class SetClock:
    """A wall clock a test may set anywhere, backwards too (as an operator may), over a stepped
    monotonic one."""

    def __init__(self, now_ms: int) -> None:
        self.value_ms = now_ms
        self.elapsed_ms = 0

    def now_ms(self) -> int:
        return self.value_ms

    def now_ns(self) -> int:
        return self.value_ms * NS_PER_MS

    def monotonic_ms(self) -> int:
        return self.elapsed_ms


def test_a_burst_then_one_request_per_interval() -> None:
    clock = SteppedClock(start_ms=1_700_000_000_000)
    limiter = RateLimiter(rate_per_s=2.0, burst=2, clock=clock)
    assert [limiter.take("key") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("key") == 0.5
    assert limiter.take("other") == 0.0  # each credential has its own bucket
    clock.step(499)
    assert limiter.take("key") > 0
    clock.step(1)
    assert limiter.take("key") == 0.0


def test_setting_the_wall_clock_refills_nothing() -> None:
    clock = SetClock(1_700_000_000_000)
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=clock)
    assert limiter.take("key") == 0.0
    clock.value_ms -= 3_600_000
    assert limiter.take("key") == 1.0
    clock.value_ms += 7_200_000
    assert limiter.take("key") == 1.0
    clock.elapsed_ms += 1_000
    assert limiter.take("key") == 0.0
