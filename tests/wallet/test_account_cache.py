"""The process's cached account views age by the clock they are given: a view older than the
maximum age is read again; a younger one is served from the cache."""

from __future__ import annotations

from services.common.clock import SteppedClock
from services.wallet.domain.accounts import AccountView
from services.wallet.service import profiles
from services.wallet.service.accounts import AccountCache
from services.wallet.service.commands.profiles import Profile


def _view(account_id: str) -> AccountView:
    profile = Profile(account_id=account_id, currency_code="USD")
    return profiles.view_of(profiles.normalise(profile), 1)


def test_a_view_is_served_until_it_is_older_than_the_maximum_age() -> None:
    ticks = SteppedClock(start_ms=0)
    cache = AccountCache(ticks, max_age_s=30.0)
    cache.put(_view("a"))
    ticks.step(30_000)
    assert cache.get("a") is not None
    ticks.step(1)
    assert cache.get("a") is None


def test_a_dropped_view_is_gone_whatever_its_age() -> None:
    cache = AccountCache(SteppedClock(start_ms=0))
    cache.put(_view("a"))
    cache.invalidate("a")
    assert cache.get("a") is None
