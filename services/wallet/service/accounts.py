"""Accounts: create, read, update. SQL is the record; Redis holds the hot copy; each change
publishes AccountChanged through the outbox, in the same SQL transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import replace

from services.common import validation
from services.common.clock import Clock
from services.common.errors import AlreadyExists, FailedPrecondition, NotFound
from services.common.replies import once
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import funding, profiles
from services.wallet.service.commands.accounts import (
    CreateAccount,
    FundingPeriods,
    FundingPeriodsQuery,
    UpdateAccount,
)
from services.wallet.service.commands.profiles import Instant, Profile, StoredProfile
from services.wallet.service.funding import local_today
from services.wallet.service.ports.accounts import AccountHotCopy, AccountWork

MAX_CACHED_VIEWS = 100_000
DEFAULT_VIEW_MAX_AGE_S = 30.0


class AccountCache:
    """Views of accounts in this process; dropped on AccountChanged (bounded). A view older than
    max_age_s is read again, so a change whose event never arrived still lands by then. Ages are
    told by the clock's monotonic reading."""

    def __init__(self, ticks: Clock, max_age_s: float = DEFAULT_VIEW_MAX_AGE_S) -> None:
        self._views: dict[str, tuple[AccountView, int]] = {}
        self._max_age_ms = max_age_s * 1000
        self._ticks = ticks

    def get(self, account_id: str) -> AccountView | None:
        found = self._views.get(account_id)
        if found is None:
            return None
        view, loaded = found
        if self._ticks.monotonic_ms() - loaded > self._max_age_ms:
            return None
        return view

    def put(self, view: AccountView) -> None:
        if len(self._views) >= MAX_CACHED_VIEWS:
            self._views.clear()
        self._views[view.account_id] = (view, self._ticks.monotonic_ms())

    def invalidate(self, account_id: str) -> None:
        self._views.pop(account_id, None)


class Accounts:
    def __init__(
        self,
        work: Callable[[], AccountWork],
        hot: AccountHotCopy,
        partitioner: Partitioner,
        cache: AccountCache,
        clock: Clock,
        fingerprint: Callable[[UpdateAccount], str],
    ) -> None:
        """`fingerprint`: the request fingerprint a scheduled switch is kept under."""
        self._work = work
        self._clock = clock
        self._hot = hot
        self._partitioner = partitioner
        self._fingerprint = fingerprint
        self.cache = cache
        # Told an account id after its hot copy was written again (hot state kept beside it).
        self.on_refresh: list[Callable[[str], object]] = []

    def create(self, command: CreateAccount) -> Profile:
        profile = profiles.normalise(command.profile)
        key = command.idempotency_key or f"account:{profile.account_id}"
        now_ms = self._clock.now_ms()

        def insert() -> Profile:
            if work.accounts.exists(profile.account_id):
                raise AlreadyExists(f"account {profile.account_id!r} already exists")
            at = Instant.of_ms(now_ms)
            created = replace(profile, create_time=at, update_time=at)
            work.accounts.add(StoredProfile(created, 1), search_name(created.display_name), now_ms)
            today = local_today(created.time_zone, now_ms)
            work.funding.record(created.account_id, funding.terms(created, today), True, now_ms)
            work.changes.publish(uuid.uuid4().hex, created)
            return created

        with self._work() as work:
            answer = once(work.created, "CreateAccount", key, command.request_sha256, insert)
            work.commit()
        self.refresh(profile.account_id)
        return answer

    def get(self, account_id: str) -> Profile:
        validation.require_id(account_id, "account_id")
        found = self._load(account_id)
        if found is None:
            raise NotFound(f"account {account_id!r} not found")
        return found.profile

    def update(self, command: UpdateAccount, scheduled: bool = False) -> Profile:
        """scheduled: a switch whose day has come (its day may be past), not a new change."""
        account_id = command.account_id
        validation.require_id(account_id, "account_id")
        validation.text(command.update_mask, "update_mask", required=True)
        validation.text(command.funding_effective_date, "funding_effective_date", max_length=10)
        key = command.idempotency_key or f"update:{uuid.uuid4().hex}"
        now_ms = self._clock.now_ms()

        def change() -> Profile:
            found = work.accounts.find_for_update(account_id)
            if found is None:
                raise NotFound(f"account {account_id!r} not found")
            current = found.profile
            merged = profiles.normalise(
                profiles.merge(current, command.profile, command.update_mask)
            )
            if merged.balance_scope != current.balance_scope and work.accounts.holds_funds(
                account_id
            ):
                raise FailedPrecondition(
                    "balance_scope cannot change once the account holds funds", "balance_scope"
                )
            merged = funding.record_change(
                work.funding, current, merged, command, now_ms, scheduled
            )
            merged = replace(merged, update_time=Instant.of_ms(now_ms))
            stored = StoredProfile(merged, found.version + 1)
            work.accounts.replace(stored, search_name(merged.display_name), now_ms)
            work.changes.publish(uuid.uuid4().hex, merged)
            return merged

        with self._work() as work:
            answer = once(
                work.updated, f"UpdateAccount:{account_id}", key, command.request_sha256, change
            )
            work.commit()
        self.refresh(account_id)
        return answer

    def funding_periods(self, query: FundingPeriodsQuery) -> FundingPeriods:
        view = require_account(self, query.account_id)
        start, end = validation.date_range(query.from_date, query.to_date)
        with self._work() as work:
            changes = work.funding.changes(view.account_id)
        return funding.periods(changes, start, end)

    def apply_scheduled_funding(self, limit: int) -> int:
        """The loop: switches whose day has come in the account's time zone; how many."""
        now_ms = self._clock.now_ms()
        tomorrow = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).date() + dt.timedelta(days=1)
        with self._work() as work:
            waiting = work.funding.due(tomorrow, limit)
        applied = 0
        for account_id, day in waiting:
            view = self.view(account_id)
            if view is None or day > local_today(view.time_zone, now_ms):
                continue
            with self._work() as work:
                change = work.funding.scheduled(account_id, day)
            if change is None:
                continue
            self.update(funding.switch(account_id, change, self._fingerprint), scheduled=True)
            applied += 1
        return applied

    def view(self, account_id: str) -> AccountView | None:
        """The send path's view: from this process's cache, else from SQL."""
        view = self.cache.get(account_id)
        if view is not None:
            return view
        found = self._load(account_id)
        if found is None:
            return None
        view = profiles.view_of(found.profile, found.version)
        self.cache.put(view)
        return view

    def refresh(self, account_id: str) -> AccountView | None:
        """Drop the cached view and write the hot copy again from SQL."""
        self.cache.invalidate(account_id)
        view = self.view(account_id)
        if view is not None:
            self.write_hot_copy(view)
            for restore in self.on_refresh:
                restore(account_id)
        return view

    def write_hot_copy(self, view: AccountView) -> None:
        self._hot.write_account(
            self._partitioner.keys(view.account_id),
            view.account_id,
            view.version,
            view.status,
            view.funding_mode,
            view.limit_micros,
            view.currency,
            view.balance_scope,
        )

    def all_views(self) -> list[AccountView]:
        with self._work() as work:
            found = work.accounts.every()
        return [profiles.view_of(stored.profile, stored.version) for stored in found]

    def _load(self, account_id: str) -> StoredProfile | None:
        with self._work() as work:
            return work.accounts.find(account_id)


def search_name(display_name: str) -> str:
    """What operators' searches match a display name against."""
    return display_name.casefold()[:200]


def require_account(accounts: Accounts, account_id: str) -> AccountView:
    validation.require_id(account_id, "account_id")
    view = accounts.view(account_id)
    if view is None:
        raise NotFound(f"account {account_id!r} not found")
    return view
