"""An account as metering needs it: currency, time zone, portfolio and pricing terms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pricing import AuthInternational, ProviderPricing

MAX_CACHED_ZONES = 1_024
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@lru_cache(maxsize=MAX_CACHED_ZONES)
def zone(name: str) -> ZoneInfo:
    """An IANA zone; unknown names raise ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    currency: str
    time_zone: str
    portfolio_id: str  # Meta business portfolio the volume tiers are counted over
    business_country: str | None
    provider: ProviderPricing | None
    auth_international: AuthInternational | None

    def local_time(self, at_us: int) -> dt.datetime:
        seconds, micros = divmod(at_us, 1_000_000)
        local = dt.datetime.fromtimestamp(seconds, zone(self.time_zone))
        return local.replace(microsecond=micros)

    def local_date(self, at_us: int) -> dt.date:
        """Whole seconds decide the date (twice as fast as converting a datetime)."""
        return dt.datetime.fromtimestamp(at_us // 1_000_000, zone(self.time_zone)).date()

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(zone(self.time_zone)).date()
