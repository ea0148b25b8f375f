"""When a failed delivery or email is tried again: a schedule that doubles each wait, with
jitter, and gives up after a bounded period. (Not services.common.background.Backoff, which
paces a worker loop between steps.)"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    first_ms: int = 5_000
    max_ms: int = 6 * 3_600_000
    # Retries stop this long after the first attempt.
    period_ms: int = 3 * DAY_MS
    # Each wait is drawn within ± this fraction of its nominal value.
    jitter: float = 0.2

    def delay_ms(self, attempts: int, draw: float) -> int:
        """The wait after `attempts` failed attempts; draw is uniform in [0, 1)."""
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        nominal = min(self.first_ms * 2 ** min(attempts - 1, 40), self.max_ms)
        return max(1, int(nominal * (1 - self.jitter + 2 * self.jitter * draw)))

    def next_attempt_ms(
        self, now_ms: int, attempts: int, draw: float, give_up_ms: int
    ) -> int | None:
        """The next attempt's time, or None when it would fall after give_up_ms."""
        due = now_ms + self.delay_ms(attempts, draw)
        return due if due <= give_up_ms else None
