"""Funding terms over time, by day in the account's time zone: which mode (prepaid, soft
limit, postpaid) and limit applied on each day, and switches scheduled for a later day (a
switch takes effect at the start of a billing cycle, so no cycle is paid two ways)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from services.common import validation
from services.common.errors import InvalidArgument
from services.wallet.domain.accounts import POSTPAID, SOFT_LIMIT
from services.wallet.service import profiles
from services.wallet.service.commands.accounts import (
    FundingChange,
    FundingPeriod,
    FundingPeriods,
    UpdateAccount,
)
from services.wallet.service.commands.profiles import Profile
from services.wallet.service.ports.accounts import FundingRecords

FIELDS = frozenset({"funding_mode", "overdraft_limit_micros", "credit_limit_micros"})
MAX_SCHEDULE_DAYS = 400


def local_today(time_zone: str, now_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(now_ms / 1000, ZoneInfo(time_zone)).date()


def terms(profile: Profile, day: dt.date) -> FundingChange:
    """A checked profile's funding terms, from `day` on."""
    view = profiles.view_of(profile, 0)
    return FundingChange(day, view.funding_mode, view.limit_micros)


def record_change(
    funding: FundingRecords,
    current: Profile,
    merged: Profile,
    command: UpdateAccount,
    now_ms: int,
    scheduled: bool,
) -> Profile:
    """Record a change of funding terms by its day: today's apply now, a later day's are
    scheduled (the profile keeps today's terms until then). `scheduled`: a switch whose day
    has come (its day may be past), not a new change."""
    names = {name.strip() for name in command.update_mask.split(",")}
    given = command.funding_effective_date
    if not FIELDS & names:
        if given:
            raise InvalidArgument(
                "funding_effective_date", "only with a change of the funding terms"
            )
        return merged
    today = local_today(current.time_zone or "UTC", now_ms)
    day = validation.date(given, "funding_effective_date") if given else today
    if day < today and not scheduled:
        raise InvalidArgument("funding_effective_date", f"must not be before {today}")
    if (day - today).days > MAX_SCHEDULE_DAYS:
        raise InvalidArgument("funding_effective_date", f"at most {MAX_SCHEDULE_DAYS} days ahead")
    account_id = current.account_id
    if day > today:
        funding.record(account_id, terms(merged, day), False, now_ms)
        return replace(merged, **{name: getattr(current, name) for name in FIELDS})
    if not scheduled:
        funding.drop_scheduled_after(account_id, day)
    funding.record(account_id, terms(merged, day), True, now_ms)
    return merged


def switch(
    account_id: str, change: FundingChange, fingerprint: Callable[[UpdateAccount], str]
) -> UpdateAccount:
    """The change a scheduled switch makes on its day, kept under the fingerprint
    `fingerprint` gives it: that of the request a caller would send for the same change."""
    profile = Profile(funding_mode=change.mode)
    if change.mode == SOFT_LIMIT:
        profile = replace(profile, overdraft_limit_micros=change.limit_micros)
    elif change.mode == POSTPAID:
        profile = replace(profile, credit_limit_micros=change.limit_micros)
    day = change.effective.isoformat()
    request = UpdateAccount(
        account_id=account_id,
        profile=profile,
        update_mask=",".join(sorted(FIELDS)),
        funding_effective_date=day,
        idempotency_key=f"funding:{account_id}:{day}",
        request_sha256="",
    )
    return replace(request, request_sha256=fingerprint(request))


def periods(changes: Sequence[FundingChange], start: dt.date, end: dt.date) -> FundingPeriods:
    """The periods covering [start, end], and the switches scheduled after `end`."""
    days = [(change.effective, change.mode, change.limit_micros) for change in changes]
    if days:  # before its first record the account had the first terms
        days[0] = (dt.date.min, *days[0][1:])
    covering: list[FundingPeriod] = []
    later: list[FundingPeriod] = []
    for index, (day, mode, limit) in enumerate(days):
        following = days[index + 1][0] if index + 1 < len(days) else dt.date.max
        last = following - dt.timedelta(days=1)
        if day > end:
            later.append(FundingPeriod(mode, day, last, limit))
        elif last >= start:
            covering.append(FundingPeriod(mode, max(day, start), min(last, end), limit))
    return FundingPeriods(tuple(covering), tuple(later))
