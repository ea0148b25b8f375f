"""The injected clock's now as the aware UTC datetime that rows and cutoffs are kept in."""

from __future__ import annotations

import datetime as dt

from services.common.clock import Clock

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def utc_now(clock: Clock) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=clock.now_ms())
