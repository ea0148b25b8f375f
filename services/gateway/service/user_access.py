"""The gateway's users as the notifications service needs them: each membership's role, billing
access, email and opt-in to billing emails, published on billing.gateway.users.

Published when a teammate changes, when a user changes their opt-in (in the same transaction),
and by a resync of what changed since the last one (memberships written elsewhere, e.g. by
`billing user add`; at start, every membership).
"""

from __future__ import annotations

import datetime as dt
import threading

from services.common.clock import Clock, SystemClock, moment
from services.gateway.service.ports.store import UnitsOfWork

# Memberships announced per batch of a resync.
RESYNC_BATCH = 500
# How far before the last resync's start the next one looks again (writes it may have missed).
RESYNC_OVERLAP = dt.timedelta(seconds=5)


class Versions:
    """The versions memberships are announced under: the clock's nanoseconds since the epoch,
    strictly increasing in this process, so changes in this gateway keep their order however
    close, and two gateways announcing one membership within the same millisecond are ordered by
    the nanosecond each read (the reader keeps the higher version)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last_ns = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last_ns = max(self._clock.now_ns(), self._last_ns + 1)
            return self._last_ns


class UserAccess:
    def __init__(self, units: UnitsOfWork, clock: Clock | None = None) -> None:
        self._units = units
        self._clock = clock or SystemClock()
        self._versions = Versions(self._clock)
        self._synced_to: dt.datetime | None = None

    def billing_emails(self, user_id: str, account_id: str) -> bool:
        with self._units() as uow:
            return uow.access.billing_emails(user_id, account_id)

    def set_billing_emails(self, user_id: str, account_id: str, enabled: bool) -> None:
        with self._units() as uow:
            uow.access.set_billing_emails(user_id, account_id, enabled, self._clock.now_ms())
            uow.access.announce([(user_id, account_id)], self._versions.next())
            uow.commit()

    def changed(self, user_id: str, account_id: str) -> None:
        """A membership changed (or went): announce what it is now."""
        with self._units() as uow:
            uow.access.announce([(user_id, account_id)], self._versions.next())
            uow.commit()

    def resync(self) -> int:
        """Announce the memberships written since the last resync (all, the first time)."""
        started = moment(self._clock)
        since = None if self._synced_to is None else self._synced_to - RESYNC_OVERLAP
        with self._units() as uow:
            keys = uow.access.written_since(since)
            for start in range(0, len(keys), RESYNC_BATCH):
                uow.access.announce(keys[start : start + RESYNC_BATCH], self._versions.next())
            uow.commit()
        self._synced_to = started
        return 0  # the loop waits its interval either way
