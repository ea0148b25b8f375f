"""A clock told as datetimes (the service's settings.Clock) seen through the common clock port."""

from __future__ import annotations

import datetime as dt

from services.invoicing.service.clock_time import EPOCH
from services.invoicing.service.settings import Clock

MILLISECOND = dt.timedelta(milliseconds=1)


class DatetimeClock:
    def __init__(self, now: Clock) -> None:
        self._now = now

    def now_ms(self) -> int:
        return (self._now() - EPOCH) // MILLISECOND

    def monotonic_ms(self) -> int:
        return self.now_ms()  # the function told is the only time there is
